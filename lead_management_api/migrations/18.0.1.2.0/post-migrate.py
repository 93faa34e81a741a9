# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.2.0: references keep the phone number their lead was sent with (the sender's later leads for the same
person find its earlier one by the e-mail address or number it sent): taken from their lead as it is, the closest
value there is, as the e-mail address was at 18.0.1.1.0."""


def migrate(cr, version):
    cr.execute("""
        UPDATE lead_intake_reference reference
           SET phone_sanitized = lead.phone_sanitized
          FROM crm_lead lead
         WHERE lead.id = reference.lead_id AND reference.phone_sanitized IS NULL AND lead.phone_sanitized IS NOT NULL
    """)
