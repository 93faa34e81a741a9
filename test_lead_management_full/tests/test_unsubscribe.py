# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The nurture unsubscribe link where the website is installed: its layout reads the current website, which only a
website route gives (issue 18 review)."""
from odoo.tests import tagged

from odoo.addons.lead_management.tests.test_mail_signals import TestNurtureUnsubscribe


@tagged("post_install", "-at_install")
class TestNurtureUnsubscribeWithWebsite(TestNurtureUnsubscribe):
    """lead_management's own unsubscribe tests, on a database with the website, Email Marketing (the e-mails go
    through its engine) and the bridges."""

    allow_inherited_tests_method = True
