# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# Installs lead_management beside the core modules that create or change leads, so that their entry points
# are tested on a real database; lead_management itself depends on crm alone (as Odoo's own test_crm_full
# does for crm).
{
    "name": "Lead Management: tests with crm's companion modules",
    "summary": "Test-only addon: leads arriving from website forms, events, mailings, lead mining and enrichment",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "license": "LGPL-3",
    "depends": [
        "lead_management",
        "lead_management_event",
        "lead_management_mass_mailing",
        "lead_management_website",
        "website_crm",
        "mass_mailing_crm",
        "event_crm",
        "crm_iap_mine",
        "crm_iap_enrich",
    ],
    "assets": {
        "web.assets_tests": [
            "test_lead_management_full/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}
