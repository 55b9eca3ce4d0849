"""Dropdowns and entry checks written into the XML after a sheet's cells: the sheet's own kept byte for byte (but
an older template's check that a new one replaces), the new ones counted, a container made where the schema puts
it."""

from __future__ import annotations

from lxml import etree

from xlcrm.xlsx.data_validations import NewCheck, NewDropdown, with_dropdowns

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


CHECK = NewCheck("R2:R1048576", "decimal", "between", "0", "100", "Скидка, %", "От 0 до 100 & <без %>", 'Не "число"')
OLD_AMOUNT = (
    '<x:dataValidation type="decimal" operator="greaterThanOrEqual" sqref="F2:F1048576">'
    "<x:formula1>IF(OR($D2=&quot;Return&quot;,$D2=&quot;Возврат&quot;),-1E+15,0)</x:formula1></x:dataValidation>"
)


def test_an_entry_check_is_written_with_its_bounds_prompt_and_error() -> None:
    written = with_dropdowns(b"<pageMargins/></worksheet>", b"", [CHECK])

    (check,) = parsed(written).iter("{*}dataValidation")
    assert (check.get("type"), check.get("operator"), check.get("sqref")) == ("decimal", "between", "R2:R1048576")
    assert (check.findtext("{*}formula1"), check.findtext("{*}formula2")) == ("0", "100")
    assert check.get("prompt") == CHECK.prompt and check.get("error") == CHECK.error
    assert check.get("promptTitle") == check.get("errorTitle") == "Скидка, %"
    assert check.get("showInputMessage") == check.get("showErrorMessage") == "1" and check.get("errorStyle") == "stop"


def test_a_replaced_check_goes_and_the_others_stay_byte_for_byte() -> None:
    own = OWN.replace("<", "<x:").replace("<x:/", "</x:")
    tail = f'<x:dataValidations count="2">{OLD_AMOUNT}{own}</x:dataValidations></x:worksheet>'.encode()
    new = NewCheck("F2:F1048576", "decimal", "greaterThanOrEqual", "IF(1,-1E+15,0)", None, "Сумма", "п", "о")

    written = with_dropdowns(tail, b"x:", [new], [("F2:F1048576", 'IF(OR($D2="Return",$D2="Возврат"),-1E+15,0)')])

    assert written.startswith(f'<x:dataValidations count="2">{own}<x:dataValidation '.encode())
    assert b"Return" not in written and b"<x:formula1>IF(1,-1E+15,0)</x:formula1>" in written
    # A check of other cells, or of another formula, is not the one replaced.
    for other in (("F2:F100", 'IF(OR($D2="Return",$D2="Возврат"),-1E+15,0)'), ("F2:F1048576", "0")):
        assert OLD_AMOUNT.encode() in with_dropdowns(tail, b"x:", [new], [other])
