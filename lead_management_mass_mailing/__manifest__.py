# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management: Email Marketing",
    "summary": "Mailing opens, clicks, replies, bounces and opt-outs score the lead (glue of lead_management and "
               "mass_mailing_crm)",
    "version": "18.0.1.1.1",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "license": "LGPL-3",
    "depends": [
        "lead_management",
        "mass_mailing_crm",
    ],
    "data": [
        "data/lead_engagement_type_data.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": [
        "demo/lead_management_mass_mailing_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
    "application": False,
}
