# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management Intake API",
    "summary": "HTTP API for marketing tools: leads and engagement events as JSON, authenticated with Odoo API keys",
    "version": "18.0.1.3.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "maintainers": [],
    "license": "LGPL-3",
    "depends": [
        "lead_management",
    ],
    "external_dependencies": {
        "python": ["pydantic"],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/lead_management_api_security.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
    ],
    "demo": [
        "demo/lead_management_api_demo.xml",
    ],
    "installable": True,
    "application": False,
}
