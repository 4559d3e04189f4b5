from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import get_cc_module
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)
from stdnum.ru import inn


def normalise_tax_number(country: str, raw: str) -> str:
    """Validate a tax number for its country and return it in compact form; raise ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    country = (country or "RU").upper()
    if country == "RU":
        try:
            return str(inn.validate(raw))
        except InvalidLength:
            raise ValidationError(_("An INN has 10 digits (company) or 12 digits (individual).")) from None
        except InvalidFormat:
            raise ValidationError(_("An INN consists of digits only.")) from None
        except InvalidChecksum:
            raise ValidationError(_("This INN fails its checksum: check the digits.")) from None
        except StdnumError:
            raise ValidationError(_("This is not a valid INN.")) from None
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        compact = "".join(ch for ch in raw if ch.isalnum())
        if not compact:
            raise ValidationError(_("Enter a tax number of letters and digits."))
        return compact.upper()
    try:
        return str(module.validate(raw))
    except (InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, StdnumError):
        raise ValidationError(
            _("This is not a valid tax number for %(country)s.") % {"country": country}
        ) from None
