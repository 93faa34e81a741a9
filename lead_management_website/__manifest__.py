# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management: Website",
    "summary": "Page views of a lead's website visitor score the lead, per page as the admin weighs them (glue of "
               "lead_management and website_crm)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "license": "LGPL-3",
    "depends": [
        "lead_management",
        "website_crm",
    ],
    "data": [
        "data/lead_engagement_type_data.xml",
        "data/ir_cron_data.xml",
        "views/lead_engagement_type_views.xml",
    ],
    "demo": [
        "demo/lead_management_website_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
    "application": False,
}
