"""Activation letters and renewal slips as PDF: one A4 page per account (reportlab).

Pure rendering: the caller hands in finished `Letter`s (codes already decrypted) and gets bytes.
Text is drawn with Bitstream Vera, which reportlab ships and which covers French (accents, œ, French
quotes and apostrophes); nothing depends on the fonts of the host.
"""

import datetime
import io
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from accounts.codes import code_display

FONT = "EntaixVera"
FONT_BOLD = "EntaixVeraBold"
BRAND = HexColor("#0b4f8a")


@dataclass(frozen=True)
class Letter:
    login: str
    code: str
    expires_at: datetime.datetime
    kind: str  # User.Kind value
    holder: str
    schools: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    renewal: bool = False
    # Each school's contact block (school_contact_lines), printed on parents' letters.
    school_contacts: tuple[tuple[str, ...], ...] = ()


def school_contact_lines(
    *,
    name: str,
    address: str = "",
    po_box: str = "",
    postal_code: str = "",
    city: str = "",
    phone: str = "",
    email: str = "",
) -> tuple[str, ...]:
    """A school's contact as printed: name, address lines, PO box, postal code and city, phone,
    official e-mail; empty parts left out. The feed's school data only (no personal data)."""
    town = " ".join(part for part in (postal_code, city) if part)
    lines = [name, *address.splitlines(), po_box, town]
    if phone:
        lines.append(_("Phone: %(phone)s") % {"phone": phone})
    if email:
        lines.append(_("E-mail: %(email)s") % {"email": email})
    return tuple(line.strip() for line in lines if line and line.strip())


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.left = 2.2 * cm
        self.width = A4[0] - 2 * self.left
        self.y = A4[1] - 2.2 * cm

    def text(self, text: str, *, size: float = 11, bold: bool = False, gap: float = 4) -> None:
        font = FONT_BOLD if bold else FONT
        self.canvas.setFont(font, size)
        for line in simpleSplit(text, font, size, self.width):
            self.canvas.drawString(self.left, self.y, line)
            self.y -= size * 1.35
        self.y -= gap

    def space(self, height: float) -> None:
        self.y -= height


def _draw(page: _Page, letter: Letter, site_url: str) -> None:
    canvas = page.canvas
    canvas.setFillColor(BRAND)
    page.text(_("City of Aix-en-Provence — primary-school ENT"), size=10, bold=True)
    title = (
        _("Your new ENT activation code") if letter.renewal else _("Your ENT account activation")
    )
    page.text(title, size=18, bold=True, gap=10)
    canvas.setFillColor(HexColor("#1b1b1f"))
    if letter.schools:
        page.text(_("School: %(schools)s") % {"schools": ", ".join(letter.schools)}, gap=0)
    if letter.classes:
        page.text(_("Class: %(classes)s") % {"classes": ", ".join(letter.classes)}, gap=0)
    if letter.kind == "guardian":
        page.text(_("For: %(name)s") % {"name": letter.holder}, gap=0)
        if letter.children:
            page.text(
                _("Parent or legal guardian of: %(children)s")
                % {"children": ", ".join(letter.children)},
                gap=0,
            )
    elif letter.kind == "pupil":
        page.text(_("Pupil: %(name)s") % {"name": letter.holder}, gap=0)
    else:
        page.text(_("For: %(name)s") % {"name": letter.holder}, gap=0)
    page.space(14)

    # The box with what is typed on the activation page.
    top = page.y + 12
    height = 2.7 * cm
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(1.5)
    canvas.rect(page.left - 8, top - height, page.width + 16, height)
    page.space(6)
    page.text(_("Login: %(login)s") % {"login": letter.login}, size=14, bold=True, gap=2)
    page.text(
        _("Activation code: %(code)s") % {"code": code_display(letter.code)},
        size=14,
        bold=True,
        gap=2,
    )
    expiry = timezone.localtime(letter.expires_at) - datetime.timedelta(seconds=1)
    page.text(
        _("This code is valid until %(date)s included.")
        % {"date": formats.date_format(expiry.date(), "SHORT_DATE_FORMAT")},
        size=10,
    )
    page.y = top - height - 18

    page.text(_("How to activate the account"), size=13, bold=True)
    steps = [
        _("Go to %(url)s") % {"url": site_url},
        _("Type the login and the activation code above."),
        _("Choose your personal password and type it again to confirm it."),
        _(
            "If you wish, give an e-mail address: once confirmed, it lets you recover a "
            "forgotten password."
        ),
        _("Accept the terms of use and click “Activate”: you are connected."),
    ]
    for number, step in enumerate(steps, start=1):
        page.text(f"{number}. {step}", gap=2)
    page.space(10)
    page.text(
        _(
            "Forgot your password? Click “Forgot password” on the ENT site. Without an e-mail "
            "address, the request goes to your child's teacher, who hands you a new letter."
        ),
        size=10,
    )
    page.text(
        _("Keep this letter private: anyone holding this code can activate the account."),
        size=10,
        bold=True,
    )
    _draw_school_contacts(page, letter)


def _draw_school_contacts(page: _Page, letter: Letter) -> None:
    if not letter.school_contacts:
        return
    page.space(8)
    page.text(_("Your child's school"), size=11, bold=True, gap=2)
    for lines in letter.school_contacts:
        for line in lines:
            page.text(line, size=10, gap=0)
        page.space(6)


def letters_render(letters: list[Letter], *, site_url: str) -> bytes:
    """One page per letter, in the order given."""
    _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("ENT activation letters"))
    canvas.setAuthor("entaix")
    for letter in letters:
        _draw(_Page(canvas), letter, site_url)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
