# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Syntax of an e-mail address, stricter than crm's fallback.

crm's ``email_state`` trusts ``mail_validate``, which without the optional ``flanker`` library is
``email_normalize``: it takes ``x@y``, ``@acme.com`` or ``ada@acme..com`` as correct. An address sales
can write to has a local part and a domain of at least two DNS labels ending in a real top-level
domain; this checks that much, offline (no DNS lookup at entry)."""
import re

# RFC 5322 dot-atom, letters of any script allowed (RFC 6531).
LOCAL_PART = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def email_is_valid(address):
    """Whether ``address`` (one bare address, as ``email_split`` gives them) can receive mail."""
    if not address or len(address) > 254 or address.count("@") != 1:
        return False
    local, domain = address.rsplit("@", 1)
    if len(local) > 64 or not LOCAL_PART.match(local):
        return False
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(DNS_LABEL.match(label) for label in labels):
        return False
    top = labels[-1]
    return (top.isalpha() and len(top) >= 2) or top.startswith("xn--")
