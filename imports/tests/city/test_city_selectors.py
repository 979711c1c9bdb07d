from imports.city.selectors import name_key


def test_name_key_folds_as_the_search_does_ligatures_included():
    expected = "oeuvray muller\x1fjean baptiste"
    assert name_key("Œuvray-Müller", "Jean-Baptiste") == expected
    assert name_key("OEUVRAY  MULLER", "jean baptiste") == expected
    assert name_key("d\u2019Arc", "Jeanne") == "d arc\x1fjeanne"
