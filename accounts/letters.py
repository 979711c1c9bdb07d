"""Activation letters and renewal slips as PDF: one A4 page per account (reportlab).

Pure rendering: the caller hands in finished `Letter`s (codes already decrypted) and gets bytes.
Text is drawn with Bitstream Vera, which reportlab ships and which covers French (accents, œ, French
quotes and apostrophes); nothing depends on the fonts of the host.
"""

import dataclasses
import datetime
import functools
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


@functools.lru_cache(maxsize=512)
def _split(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Line breaks of a text: the steps and notices are the same on every letter of a batch."""
    return tuple(simpleSplit(text, font, size, width))


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
        for line in _split(text, font, size, self.width):
            self.canvas.drawString(self.left, self.y, line)
            self.y -= size * 1.35
        self.y -= gap

    def space(self, height: float) -> None:
        self.y -= height


def _draw(page: _Page, letter: Letter, site_url: str, identity=None) -> None:
    canvas = page.canvas
    canvas.setFillColor(BRAND)
    page.text(_("City of Aix-en-Provence — primary-school ENT"), size=10, bold=True)
    title = (
        _("Your new ENT activation code") if letter.renewal else _("Your ENT account activation")
    )
    page.text(title, size=18, bold=True, gap=10)
    canvas.setFillColor(HexColor("#1b1b1f"))
    if identity is not None:
        identity()
    else:
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
    page.text(_expiry_text(letter.expires_at), size=10)
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


# --- batches: class covers, the `letter` and `slips` layouts ----------------------------------


@dataclass(frozen=True)
class SchoolContact:
    """What a letter prints of the school (the `School` contact fields from the feed)."""

    name: str
    address: str = ""
    po_box: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""

    def lines(self) -> list[str]:
        return list(school_contact_lines(**dataclasses.asdict(self)))


@dataclass(frozen=True)
class BatchLetter:
    """One account of a batch: a code to type, or (`code` empty) the "already active" sheet."""

    login: str
    kind: str
    holder: str
    code: str = ""
    expires_at: datetime.datetime | None = None
    school: str = ""
    school_class: str = ""
    children: tuple[tuple[str, str, str], ...] = ()  # (name, school, class)


@dataclass(frozen=True)
class Cover:
    title: str
    school: str
    teachers: tuple[str, ...]
    count: int
    printed_on: datetime.date
    printed_by: str


def _child_line(child: tuple[str, str, str]) -> str:
    name, school, school_class = child
    where = ", ".join(part for part in (school, school_class) if part)
    return f"{name} ({where})" if where else name


def _draw_cover(page: _Page, cover: Cover) -> None:
    page.canvas.setFillColor(BRAND)
    page.text(_("City of Aix-en-Provence — primary-school ENT"), size=10, bold=True)
    page.text(_("ENT activation letters"), size=14, bold=True, gap=24)
    page.canvas.setFillColor(HexColor("#1b1b1f"))
    page.text(cover.title, size=28, bold=True, gap=10)
    page.text(cover.school, size=14, gap=16)
    if cover.teachers:
        page.text(_("Teacher: %(names)s") % {"names": ", ".join(cover.teachers)}, size=13)
    page.text(_("Letters in this pile: %(count)d") % {"count": cover.count}, size=13)
    date = formats.date_format(cover.printed_on, "SHORT_DATE_FORMAT")
    page.text(_("Printed on %(date)s by %(name)s") % {"date": date, "name": cover.printed_by},
              size=13)  # fmt: skip


def _expiry_text(expires_at: datetime.datetime) -> str:
    expiry = timezone.localtime(expires_at) - datetime.timedelta(seconds=1)
    return _("This code is valid until %(date)s included.") % {
        "date": formats.date_format(expiry.date(), "SHORT_DATE_FORMAT")
    }


def _draw_identity(page: _Page, letter: BatchLetter) -> None:
    if letter.kind == "guardian":
        page.text(_("For: %(name)s") % {"name": letter.holder}, gap=0)
        if letter.children:
            page.text(_("Parent or legal guardian of:"), gap=0)
            for child in letter.children:
                page.text(f"- {_child_line(child)}", gap=0)
        return
    if letter.school:
        page.text(_("School: %(schools)s") % {"schools": letter.school}, gap=0)
    if letter.school_class:
        page.text(_("Class: %(classes)s") % {"classes": letter.school_class}, gap=0)
    if letter.kind == "pupil":
        page.text(_("Pupil: %(name)s") % {"name": letter.holder}, gap=0)
    else:
        page.text(_("For: %(name)s") % {"name": letter.holder}, gap=0)


def _draw_contact(page: _Page, contact: SchoolContact | None) -> None:
    if contact is None:
        return
    lines = contact.lines()
    page.y = 2.2 * cm + len(lines) * 10 * 1.35
    page.text(_("Your school's contact"), size=10, bold=True, gap=0)
    for line in lines:
        page.text(line, size=9, gap=0)


def _draw_batch_letter(
    page: _Page, letter: BatchLetter, site_url: str, contact: SchoolContact | None
) -> None:
    if not letter.code:
        _draw_active(page, letter, site_url)
        _draw_contact(page, contact)
        return
    _draw(
        page,
        Letter(login=letter.login, code=letter.code, expires_at=letter.expires_at,
               kind=letter.kind, holder=letter.holder),
        site_url,
        identity=lambda: _draw_identity(page, letter),
    )  # fmt: skip
    _draw_contact(page, contact)


def _draw_active(page: _Page, letter: BatchLetter, site_url: str) -> None:
    canvas = page.canvas
    canvas.setFillColor(BRAND)
    page.text(_("City of Aix-en-Provence — primary-school ENT"), size=10, bold=True)
    page.text(_("Your ENT account is active"), size=18, bold=True, gap=10)
    canvas.setFillColor(HexColor("#1b1b1f"))
    _draw_identity(page, letter)
    page.space(14)
    page.text(_("Login: %(login)s") % {"login": letter.login}, size=14, bold=True)
    page.text(
        _("This account is already activated: connect with your login and the password you "
          "chose at %(url)s.") % {"url": site_url},
    )  # fmt: skip
    page.text(_("Forgot your password?"), size=13, bold=True)
    page.text(
        _(
            "Click “Forgot password” on the ENT site. Without an e-mail address, the request "
            "goes to your child's teacher, who hands you a new letter."
        )
    )


SLIP_COLUMNS, SLIP_ROWS = 2, 4


def _draw_slip(canvas: Canvas, letter: BatchLetter, x: float, y: float, site_url: str) -> None:
    """One slip of 10.5 x 7.4 cm whose top left corner is (x, y)."""
    width = A4[0] / SLIP_COLUMNS
    page = _Page(canvas)
    page.left, page.width, page.y = x + 0.6 * cm, width - 1.2 * cm, y - 0.8 * cm
    canvas.setFillColor(BRAND)
    page.text(_("City of Aix-en-Provence — primary-school ENT"), size=7, bold=True, gap=1)
    canvas.setFillColor(HexColor("#1b1b1f"))
    page.text(letter.holder, size=10, bold=True, gap=0)
    if letter.kind == "guardian" and letter.children:
        children = "; ".join(_child_line(c) for c in letter.children)
        page.text(_("Parent or legal guardian of: %(children)s") % {"children": children},
                  size=7, gap=1)  # fmt: skip
    else:
        where = ", ".join(part for part in (letter.school, letter.school_class) if part)
        page.text(where, size=7, gap=1)
    page.text(_("Login: %(login)s") % {"login": letter.login}, size=10, bold=True, gap=0)
    if letter.code:
        page.text(
            _("Activation code: %(code)s") % {"code": code_display(letter.code)},
            size=10, bold=True, gap=0,
        )  # fmt: skip
        page.text(_expiry_text(letter.expires_at), size=7, gap=1)
        page.text(_("Activate the account at %(url)s") % {"url": site_url}, size=7, gap=0)
    else:
        page.text(_("Your ENT account is active"), size=9, bold=True, gap=0)
        page.text(_("Forgot your password? Click “Forgot password” at %(url)s") % {
            "url": site_url}, size=7, gap=0)  # fmt: skip


def _slip_grid(canvas: Canvas) -> None:
    canvas.setStrokeColor(HexColor("#9a9aa0"))
    canvas.setLineWidth(0.4)
    canvas.setDash(3, 3)
    canvas.line(A4[0] / 2, 0, A4[0] / 2, A4[1])
    for row in range(1, SLIP_ROWS):
        canvas.line(0, A4[1] * row / SLIP_ROWS, A4[0], A4[1] * row / SLIP_ROWS)
    canvas.setDash()


def letter_batch_render(
    piles: list[tuple[Cover, list[BatchLetter]]],
    *,
    layout: str,
    site_url: str,
    activate_url: str,
    contact: SchoolContact | None = None,
    on_progress=None,
) -> tuple[bytes, int]:
    """A batch as PDF: per pile a cover page, then its letters (`letter`: one per page, with the
    school's contact; `slips`: 8 per page, to cut). Returns (bytes, number of pages);
    `on_progress(done)` is called after each letter."""
    _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("ENT activation letters"))
    canvas.setAuthor("entaix")
    pages = done = 0
    per_page = SLIP_COLUMNS * SLIP_ROWS
    for cover, letters in piles:
        _draw_cover(_Page(canvas), cover)
        canvas.showPage()
        pages += 1
        for index, letter in enumerate(letters):
            if layout == "slips":
                slot = index % per_page
                if slot == 0:
                    _slip_grid(canvas)
                column, row = slot % SLIP_COLUMNS, slot // SLIP_COLUMNS
                x = column * A4[0] / SLIP_COLUMNS
                y = A4[1] - row * A4[1] / SLIP_ROWS
                _draw_slip(canvas, letter, x, y, activate_url if letter.code else site_url)
                if slot == per_page - 1 or index == len(letters) - 1:
                    canvas.showPage()
                    pages += 1
            else:
                _draw_batch_letter(
                    _Page(canvas), letter, activate_url if letter.code else site_url, contact
                )
                canvas.showPage()
                pages += 1
            done += 1
            if on_progress is not None:
                on_progress(done)
    canvas.save()
    return buffer.getvalue(), pages
