"""How the editors' screens write money: ``USD 1,650.0 M``, the currency first, millions for large amounts."""

from decimal import Decimal

MILLION = Decimal(1_000_000)


def format_money(amount: Decimal | None, currency: str = "USD") -> str | None:
    """``USD 1,650.0 M`` from a million up, ``PKR 45,000`` (cents only when there are any) below; None when unknown."""
    if amount is None:
        return None
    if abs(amount) >= MILLION:
        return f"{currency} {amount / MILLION:,.1f} M"
    if amount == amount.to_integral_value():
        return f"{currency} {amount:,.0f}"
    return f"{currency} {amount:,.2f}"
