# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Management: Job Queue",
    "summary": "The bulk work of Lead Management as jobs of OCA's queue_job, run by every worker of every Odoo server "
               "(glue of lead_management and queue_job)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-management/lead_management",
    "author": "lead_management developers",
    "license": "LGPL-3",
    "depends": [
        "lead_management",
        "queue_job",
    ],
    "data": [
        "data/queue_job_data.xml",
    ],
    "auto_install": True,
    "installable": True,
    "application": False,
}
