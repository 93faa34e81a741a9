# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management",
    "summary": "Lifecycle stages, scoring, qualifying reps and hand-off to sales on top of CRM",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "maintainers": [],
    "license": "LGPL-3",
    "depends": [
        "crm",
    ],
    "data": [
        "security/lead_management_security.xml",
        "security/ir.model.access.csv",
        "data/lead_lifecycle_stage_data.xml",
        "data/lead_rejection_reason_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "wizard/crm_lead_reject_views.xml",
        "views/lead_lifecycle_stage_views.xml",
        "views/lead_rejection_reason_views.xml",
        "views/crm_lost_reason_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/lead_management_menus.xml",
    ],
    "demo": [
        "demo/lead_management_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "lead_management/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
