"""The one exception disclosure control raises."""


class DisclosureError(ValueError):
    """The table or the policy cannot be protected as given (negative values, inconsistent margins, unknown method)."""
