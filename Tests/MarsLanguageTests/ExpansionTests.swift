import MarsLanguage
import PolytopeCore
import Testing

@Suite("Expansion of lists and ranges")
struct ExpansionTests {
    @Test(
        "ranges expand, with MARS's default increments",
        arguments: [
            ("date: 20240130/to/20240202", "date", ["20240130", "20240131", "20240201", "20240202"]),
            ("date: -3/to/-1", "date", [day(-3), day(-2), day(-1)]),
            ("date: 20240101/to/20240110/by/3", "date", ["20240101", "20240104", "20240107", "20240110"]),
            ("date: 20240103/to/20240101", "date", ["20240103", "20240102", "20240101"]),
            ("date: 2024-02-28/to/2024-03-01", "date", ["20240228", "20240229", "20240301"]),
            ("time: 0/to/18", "time", ["0000", "0600", "1200", "1800"]),
            ("time: 0/to/3/by/1", "time", ["0000", "0100", "0200", "0300"]),
            ("time: 0/to/1/by/30m", "time", ["0000", "0030", "0100"]),
            ("step: 0/to/48", "step", ["0", "12", "24", "36", "48"]),
            ("step: 0/to/24/by/6", "step", ["0", "6", "12", "18", "24"]),
            ("step: 0/to/2h/by/30m", "step", ["0", "30m", "1", "1h30m", "2"]),
            ("step: 0/to/10/by/4", "step", ["0", "4", "8"]),
            ("number: 1/to/5", "number", ["1", "2", "3", "4", "5"]),
            ("number: 1/to/10/by/3", "number", ["1", "4", "7", "10"]),
            ("levelist: 1000/to/500/by/250", "levelist", ["1000", "750", "500"]),
            ("levelist: 1000/to/500/by/-250", "levelist", ["1000", "750", "500"]),
            ("levelist: 0.5/to/2/by/0.5", "levelist", ["0.5", "1", "1.5", "2"]),
            ("levelist: 1/to/3", "levelist", ["1", "2", "3"]),
            ("step: 0/to/12/by/6/24/36", "step", ["0", "6", "12", "24", "36"]),
            ("step: 0/6/TO/18/BY/6", "step", ["0", "6", "12", "18"]),
            ("time: 00/12", "time", ["0000", "1200"]),
            ("date: 20240101/to/20240101", "date", ["20240101"]),
        ] as [(String, String, [String])]
    )
    func ranges(_ text: String, _ key: String, _ expected: [String]) throws {
        #expect(try values(text, key) == expected)
    }

    @Test("MARS text ranges, as users write them")
    func marsText() throws {
        let request = try normalise("retrieve, class=od, date=-1, time=00/12, param=2t/msl, step=0/to/48/by/6")
        #expect(request["date"] == [day(-1)])
        #expect(request["time"] == ["0000", "1200"])
        #expect(request["param"] == ["167", "151"])
        #expect(request["step"] == ["0", "6", "12", "18", "24", "30", "36", "42", "48"])
    }

    @Test(
        "badly written ranges are explained",
        arguments: [
            ("step: 0/to/12/by/0", "step: '0/to/12/by/0' has an increment ('by') of zero"),
            ("number: 1/to/10/by/-1", "number: '1/to/10/by/-1' cannot count up with a negative increment ('by')"),
            (
                "class: od/to/rd",
                "class: 'od/to/rd' is a range, and ranges with 'to' are only possible for dates, times, steps, numbers and levels"
            ),
            ("step: to/12", "step: 'to' must come between a start and an end value, as in 1/to/10"),
            ("step: 0/to", "step: '0/to' must be followed by an end value, as in 0/to/10"),
            ("step: 0/to/12/by", "step: 'by' must be followed by an increment, as in 0/to/48/by/6"),
            ("step: 0/by/6", "step: 'by' must follow a range, as in 0/to/48/by/6"),
            ("step: 0-24/to/48", "step: '0-24' is a period; a range with 'to' must start and end at single steps"),
            (
                "date: 20240101/to/20241301",
                "date: '20241301' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as 0 for today or -1 for yesterday)"
            ),
            ("date: 20240101/to/20240201/by/x", "date: 'x' is not a valid increment ('by') (expected a whole number of days such as 1 or 7)"),
            ("time: 0/to/12/by/90s", "time: '90s' is not a valid increment ('by') (expected hours such as 6, or a duration such as 30m)"),
            ("step: 0/to/6/to/12", "step: 'to' must come between a start and an end value, as in 1/to/10"),
        ]
    )
    func badRanges(_ text: String, _ message: String) throws {
        #expect(try problems(text) == message)
    }

    @Test("expansion is refused, not made, past the limit")
    func bounded() throws {
        let small = MarsLanguageSettings(maximumValues: 100)
        #expect(
            try problems("step: 0/to/1000/by/1", settings: small)
                == "step: '0/to/1000/by/1' would give 1001 values, more than the 100 values a request may have in all; split the request"
        )
        #expect(try values("step: 0/to/99/by/1", "step", settings: small)?.count == 100)
        // With the default limit, a range of a trillion values is refused at once.
        #expect(try problems("number: 0/to/999999999999")?.contains("would give 1000000000000 values, more than the 100000") == true)
        #expect(try problems("date: 00010101/to/99991231")?.contains("would give 3652059 values") == true)
    }

    @Test("the limit counts the values of all keys together")
    func boundedAcrossKeys() throws {
        let small = MarsLanguageSettings(maximumValues: 10)
        #expect(try problems("step: 0/to/6/by/1\nnumber: 1/to/3", settings: small) == nil)
        #expect(
            try problems("step: 0/to/6/by/1\nnumber: 1/to/5", settings: small)
                == "number: '1/to/5' would give 5 values, but only 3 of the 10 values a request may have in all are left; split the request"
        )
        #expect(
            try problems("class: a/b/c/d/e/f/g/h/i/j/k", settings: small)
                == "class: 'k' is one value more than the 10 values a request may have in all; split the request"
        )
        var allowingAll = MarsLanguageSettings(maximumValues: 1)
        allowingAll.setAllowsAll(true, for: "number")
        #expect(
            try problems("class: od\nnumber: all", settings: allowingAll)
                == "number: 'all' is one value more than the 1 values a request may have in all; split the request"
        )
    }
}
