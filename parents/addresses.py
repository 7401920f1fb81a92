"""Postal addresses: the family's, and a guardian's own when another app records one.

`parents` holds the family's address. A guardian living elsewhere (separated parents) has
their own address in the family file, which `parents` and `billing` never import: the app
that records it registers a provider from its `AppConfig.ready`, and documents addressed
to one guardian (the yearly certificate of what they paid) ask `guardian_addresses`.
"""

_providers = []


def postal_address(line1, line2, postcode, city):
    """The address on as many lines as it has: street, complement, postcode and city."""
    lines = [line1, line2, f"{postcode} {city}".strip()]
    return "\n".join(line for line in lines if line)


def register_guardian_address_provider(function):
    """`function(guardian_ids) -> {guardian_id: address}`: the guardians among those ids who
    have an address of their own, read with a fixed number of queries whatever their number.
    """
    if function not in _providers:
        _providers.append(function)


def guardian_addresses(guardian_ids):
    """{guardian_id: address} of the guardians with an address of their own."""
    guardian_ids = list(guardian_ids)
    found = {}
    if not guardian_ids:
        return found
    for function in _providers:
        found.update({pk: address for pk, address in function(guardian_ids).items() if address})
    return found
