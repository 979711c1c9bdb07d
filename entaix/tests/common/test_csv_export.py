import io

import pytest

from entaix.common.csv_export import csv_cell, csv_writer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 4 42 00 00 00", "'+33 4 42 00 00 00"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Dupont", "Dupont"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (7, 7),
        (None, None),
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def test_csv_writer_neutralises_every_cell():
    stream = io.StringIO()
    writer = csv_writer(stream)
    writer.writerow(["=1+1", 2, "ok"])
    writer.writerows([["@x", "-y"]])
    assert stream.getvalue() == "'=1+1,2,ok\r\n'@x,'-y\r\n"
