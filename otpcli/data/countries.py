"""Countries: ISO 3166 alpha-2, English name, other names, dialling code, and the
country id the sms-activate protocol family uses (None where that family has none we
are sure of). Used to resolve `-c india` / `-c IN` where a provider publishes no list.
"""

from __future__ import annotations

from typing import NamedTuple


class CountryInfo(NamedTuple):
    iso: str
    name: str
    dial: str
    smsactivate: str | None
    aliases: tuple[str, ...] = ()


COUNTRIES: tuple[CountryInfo, ...] = (
    CountryInfo("RU", "Russia", "7", "0", ("russian federation",)),
    CountryInfo("UA", "Ukraine", "380", "1"),
    CountryInfo("KZ", "Kazakhstan", "7", "2"),
    CountryInfo("CN", "China", "86", "3"),
    CountryInfo("PH", "Philippines", "63", "4"),
    CountryInfo("MM", "Myanmar", "95", "5", ("burma",)),
    CountryInfo("ID", "Indonesia", "62", "6"),
    CountryInfo("MY", "Malaysia", "60", "7"),
    CountryInfo("KE", "Kenya", "254", "8"),
    CountryInfo("TZ", "Tanzania", "255", "9"),
    CountryInfo("VN", "Vietnam", "84", "10", ("viet nam",)),
    CountryInfo("KG", "Kyrgyzstan", "996", "11"),
    CountryInfo("US", "USA", "1", "12", ("united states", "united states of america", "america")),
    CountryInfo("IL", "Israel", "972", "13"),
    CountryInfo("HK", "Hong Kong", "852", "14"),
    CountryInfo("PL", "Poland", "48", "15"),
    CountryInfo("GB", "United Kingdom", "44", "16", ("uk", "england", "great britain", "britain")),
    CountryInfo("NG", "Nigeria", "234", "19"),
    CountryInfo("EG", "Egypt", "20", "21"),
    CountryInfo("IN", "India", "91", "22"),
    CountryInfo("IE", "Ireland", "353", "23"),
    CountryInfo("KH", "Cambodia", "855", "24"),
    CountryInfo("ZA", "South Africa", "27", "31"),
    CountryInfo("RO", "Romania", "40", "32"),
    CountryInfo("CO", "Colombia", "57", "33"),
    CountryInfo("EE", "Estonia", "372", "34"),
    CountryInfo("CA", "Canada", "1", "36"),
    CountryInfo("MA", "Morocco", "212", "37"),
    CountryInfo("GH", "Ghana", "233", "38"),
    CountryInfo("AR", "Argentina", "54", "39"),
    CountryInfo("UZ", "Uzbekistan", "998", "40"),
    CountryInfo("DE", "Germany", "49", "43"),
    CountryInfo("LT", "Lithuania", "370", "44"),
    CountryInfo("SE", "Sweden", "46", "46"),
    CountryInfo("NL", "Netherlands", "31", "48", ("holland",)),
    CountryInfo("LV", "Latvia", "371", "49"),
    CountryInfo("AT", "Austria", "43", "50"),
    CountryInfo("TH", "Thailand", "66", "52"),
    CountryInfo("SA", "Saudi Arabia", "966", "53"),
    CountryInfo("MX", "Mexico", "52", "54"),
    CountryInfo("TW", "Taiwan", "886", "55"),
    CountryInfo("ES", "Spain", "34", "56"),
    CountryInfo("DZ", "Algeria", "213", "58"),
    CountryInfo("BD", "Bangladesh", "880", "60"),
    CountryInfo("TR", "Turkey", "90", "62", ("turkiye",)),
    CountryInfo("CZ", "Czech Republic", "420", "63", ("czechia",)),
    CountryInfo("LK", "Sri Lanka", "94", "64"),
    CountryInfo("PE", "Peru", "51", "65"),
    CountryInfo("PK", "Pakistan", "92", "66"),
    CountryInfo("NZ", "New Zealand", "64", "67"),
    CountryInfo("BR", "Brazil", "55", "73"),
    CountryInfo("FR", "France", "33", "78"),
    CountryInfo("NP", "Nepal", "977", "81"),
    CountryInfo("BE", "Belgium", "32", "82"),
    CountryInfo("BG", "Bulgaria", "359", "83"),
    CountryInfo("HU", "Hungary", "36", "84"),
    CountryInfo("IT", "Italy", "39", "86"),
    CountryInfo("AE", "United Arab Emirates", "971", "95", ("uae", "emirates")),
    CountryInfo("PT", "Portugal", "351", "117"),
    CountryInfo("AU", "Australia", "61", "175"),
    CountryInfo("JP", "Japan", "81", "182"),
    CountryInfo("SG", "Singapore", "65", "196"),
)
