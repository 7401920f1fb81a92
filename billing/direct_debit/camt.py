"""Reading the bank's return of direct debits: ISO 20022 camt.054 (debit/credit
notification), the same entries in a camt.053 statement too. Only what a reject needs is
read: the transaction reference we gave (EndToEndId), the reason code, the amount and the
booking date. Any version of the message is accepted (the namespace is ignored).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from lxml import etree

# The bank's file is untrusted: no entities, no network, no huge trees.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
MAX_BYTES = 10 * 1024 * 1024


class CamtError(ValueError):
    pass


@dataclass
class ReturnedDebit:
    end_to_end_id: str
    reason_code: str
    amount: Decimal | None
    booking_date: date | None


def _local(element):
    return etree.QName(element).localname


def _find(element, *path):
    """The first descendant following `path` of local names, whatever the namespace."""
    current = [element]
    for name in path:
        found = []
        for node in current:
            found += [child for child in node.iterdescendants() if _local(child) == name]
        if not found:
            return None
        current = found[:1]
    return current[0]


def _text(element, *path):
    node = _find(element, *path)
    return (node.text or "").strip() if node is not None else ""


def _date(value):
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def parse_camt054(data):
    """[ReturnedDebit] of a camt.054 (or camt.053) file; CamtError if it is not one."""
    if len(data) > MAX_BYTES:
        raise CamtError(_("This file is too large for a bank return."))
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError:
        raise CamtError(_("This file is not a bank return in XML (camt.054).")) from None
    if _local(root) != "Document" or not any(
        _local(node) in ("BkToCstmrDbtCdtNtfctn", "BkToCstmrStmt") for node in root
    ):
        raise CamtError(_("This XML file is not a camt.054 or camt.053 bank return."))
    returned = []
    for entry in (node for node in root.iter() if _local(node) == "Ntry"):
        booking_date = _date(_text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm"))
        for details in (node for node in entry.iter() if _local(node) == "TxDtls"):
            reason = _text(details, "RtrInf", "Rsn", "Cd")
            if not reason:
                continue
            amount_text = _text(details, "AmtDtls", "TxAmt", "Amt") or _text(details, "Amt")
            try:
                amount = Decimal(amount_text) if amount_text else None
            except InvalidOperation:
                amount = None
            returned.append(
                ReturnedDebit(
                    end_to_end_id=_text(details, "Refs", "EndToEndId"),
                    reason_code=reason,
                    amount=amount,
                    booking_date=booking_date,
                )
            )
    return returned
