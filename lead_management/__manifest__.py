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
        "views/lead_management_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "lead_management/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
