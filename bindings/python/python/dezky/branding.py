"""Branding and mail templates: the typed public API over the native module
``dezky._dezky`` (``docs/branding.md``).

Every rule lives in the Rust core (``dezky_core::branding``): reading a
branding (errors name the field, ``branding.accentColor``), the templates'
placeholders, rendering (values HTML-escaped in the HTML part, control
characters out of the subject) and the colour maths (YIQ, WCAG contrast).

>>> from dezky.branding import Branding, Colour
>>> branding = Branding({"productName": "Nordic Mail", "accentColor": "#0a7"})
>>> str(branding.accent_color), str(branding.accent_color.readable_on())
('#00aa77', '#ffffff')
>>> mail = branding.render("tenant_welcome", {"tenantName": "<Acme>", "contactName": "Ann",
...                                           "portalUrl": "https://portal.example"})
>>> mail["subject"]
'Welcome to Nordic Mail, <Acme>'
>>> "&lt;Acme&gt;" in mail["html"]
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _dezky
from ._branding_records import BrandingValue, MailTemplate, TemplateOverride, TemplateText
from ._native import native_class, typed

__all__ = [
    "Branding",
    "BrandingValue",
    "Colour",
    "MailTemplate",
    "TemplateOverride",
    "TemplateText",
    "check_template",
    "meets_wcag_aa",
    "template_placeholders",
]

# The native class itself: it takes ``str`` or ``Colour`` arguments and names
# them in its own errors, and is hashable.
Colour = _dezky.Colour

if TYPE_CHECKING:
    from ._dezky import Branding
else:
    Branding = native_class(_dezky.Branding, __name__)

meets_wcag_aa = typed(_dezky.meets_wcag_aa)
check_template = typed(_dezky.check_template)
template_placeholders = typed(_dezky.template_placeholders)
