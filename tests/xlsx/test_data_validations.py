"""Dropdowns written into the XML after a sheet's cells: the sheet's own kept byte for byte, the new ones counted,
a container made where the schema puts it."""

from __future__ import annotations

from lxml import etree

from xlcrm.xlsx.data_validations import NewDropdown, with_dropdowns

DROPDOWN = NewDropdown("S2:S1048576", "xlcrm_lost_reasons", "Нет в списке", 'Выберите "значение" & <не другое>')
OWN = '<dataValidation type="list" sqref="J2" error="&#1053;"><formula1>"A,B"</formula1></dataValidation>'


def parsed(tail: bytes) -> etree._Element:
    namespace = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return etree.fromstring(b"<worksheet " + namespace + b"><sheetData/>" + tail)


def test_a_dropdown_follows_the_sheets_own_which_stay_byte_for_byte() -> None:
    tail = f'<dataValidations count="1">{OWN}</dataValidations><pageMargins/></worksheet>'.encode()

    written = with_dropdowns(tail, b"", [DROPDOWN])

    assert written.startswith(f'<dataValidations count="2">{OWN}<dataValidation '.encode())
    (_, added) = parsed(written).iter("{*}dataValidation")
    assert added.get("error") == DROPDOWN.error and added.get("sqref") == DROPDOWN.sqref
    assert added.findtext("{*}formula1") == "xlcrm_lost_reasons"


def test_without_validations_a_container_goes_before_what_follows_it() -> None:
    tail = b'<conditionalFormatting sqref="A1"/><hyperlinks/><pageMargins/></worksheet>'

    written = with_dropdowns(tail, b"", [DROPDOWN, DROPDOWN])

    names = [etree.QName(element).localname for element in parsed(written)]
    assert names == ["sheetData", "conditionalFormatting", "dataValidations", "hyperlinks", "pageMargins"]
    assert b'<dataValidations count="2">' in written


def test_an_empty_container_and_a_prefix() -> None:
    tail = b'<x:dataValidations count="0"/><x:pageMargins/></x:worksheet>'

    written = with_dropdowns(tail, b"x:", [DROPDOWN])

    assert written.startswith(b'<x:dataValidations count="1"><x:dataValidation ')
    assert b"</x:dataValidations><x:pageMargins/>" in written


def test_no_dropdowns_leave_the_tail_as_it_is() -> None:
    tail = b"<pageMargins/></worksheet>"
    assert with_dropdowns(tail, b"", []) is tail
