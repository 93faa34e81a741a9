# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management: Events",
    "summary": "Event registrations, attendance and no-shows score the lead (glue of lead_management and event_crm)",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "license": "LGPL-3",
    "depends": [
        "lead_management",
        "event_crm",
    ],
    "data": [
        "data/lead_engagement_type_data.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": [
        "demo/lead_management_event_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
    "application": False,
}
