"""The tests of xlcrm, in folders that mirror the rooms of the package; shared helpers live here."""
