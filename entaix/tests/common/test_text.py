"""The one accent fold (entaix.common.text.fold) and what each use builds on it."""

from accounts.logins import login_part
from entaix.common.text import fold
from privacy.selectors.matching import normalise


def test_fold_lowers_and_drops_accents_keeping_separators():
    assert fold("Léa Œuvray-MÜLLER") == "lea oeuvray-muller"
    assert fold("N'DIAYE") == "n'diaye"
    assert fold("Jean-Baptiste") == "jean-baptiste"
    assert fold("Ærø Straße Łódź Þór Đorđe Iİ\u0131") == "aero strasse lodz thor dorde iii"
    assert fold("ﬁne ½") == "fine 1\u20442"  # compatibility forms decomposed too
    assert fold("") == ""


def test_each_use_adds_its_own_charset_on_top():
    assert login_part("Jeanne D\u2019Arc-Œuvray") == "jeanne-darc-oeuvray"
    assert normalise("Jeanne D\u2019Arc-Œuvray") == "jeannedarcoeuvray"
    assert normalise("Søren") == "soren"
