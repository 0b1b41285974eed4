import MarsLanguage
import PolytopeCore
import Testing

@Suite("Coercion of single values")
struct CoercionTests {
    func coerced(_ key: String, _ value: String, settings: MarsLanguageSettings = .standard) throws -> String? {
        let document = RequestDocument(fields: [.init(key: key, value: .list([value]))])
        do {
            return try MarsRequestNormaliser(settings: settings).normalise(document, now: fixedNow)[key]?.first
        } catch {
            return nil
        }
    }

    @Test(
        "dates: YYYYMMDD, YYYY-MM-DD and days back from today (UTC)",
        arguments: [
            ("20240101", "20240101"), ("2024-01-01", "20240101"), ("20240229", "20240229"), ("0", day(0)), ("-1", day(-1)),
            ("-31", day(-31)), ("-365", day(-365)), (" 2024-12-31 ", "20241231"),
        ]
    )
    func dates(_ input: String, _ expected: String) throws {
        #expect(try coerced("date", input) == expected)
    }

    @Test("relative days are counted from the UTC day of now")
    func relativeDates() {
        #expect(day(0) == "20250601")
        #expect(day(-1) == "20250531")
        #expect(day(-365) == "20240601")
    }

    @Test("not dates", arguments: ["20230229", "2024-13-01", "20240132", "1", "abc", "-", "2024-1-01", "--1", "-9999999", "00000101"])
    func notDates(_ input: String) throws {
        #expect(try coerced("date", input) == nil)
        #expect(try problems("date: '\(input)'")?.hasPrefix("date: '\(input)' is ") == true)
    }

    @Test(
        "times become HHMM",
        arguments: [
            ("0", "0000"), ("6", "0600"), ("12", "1200"), ("1200", "1200"), ("12:00", "1200"), ("600", "0600"), ("0030", "0030"),
            ("23:59", "2359"), ("6:00", "0600"), ("00", "0000"), ("18:00:00", "1800"),
        ]
    )
    func times(_ input: String, _ expected: String) throws {
        #expect(try coerced("time", input) == expected)
    }

    @Test("not times", arguments: ["24", "2400", "12:60", "1:2", "12345", "6h", "-6", "ab", "12:00:30"])
    func notTimes(_ input: String) throws {
        #expect(try coerced("time", input) == nil)
    }

    @Test(
        "steps are written as MARS writes them",
        arguments: [
            ("0", "0"), ("6", "6"), ("06", "6"), ("6h", "6"), ("6H", "6"), ("1h30m", "1h30m"), ("90m", "1h30m"), ("30m", "30m"),
            ("2d", "48"), ("1d12h", "36"), ("45s", "45s"), ("0-24", "0-24"), ("6h-12h", "6-12"), ("0-30m", "0-30m"),
        ]
    )
    func steps(_ input: String, _ expected: String) throws {
        #expect(try coerced("step", input) == expected)
    }

    @Test("not steps", arguments: ["6x", "-6", "h", "1h30", "30m1h", "24-0", "6--12", "1.5", "1h1h"])
    func notSteps(_ input: String) throws {
        #expect(try coerced("step", input) == nil)
    }

    @Test(
        "numbers and levels lose leading zeros",
        arguments: [
            ("number", "007", "7"), ("number", "0", "0"), ("levelist", "0850", "850"), ("levelist", "0.50", "0.5"), ("levelist", "1000.0", "1000"),
            ("levelist", "00", "0"),
        ])
    func numbers(_ key: String, _ input: String, _ expected: String) throws {
        #expect(try coerced(key, input) == expected)
    }

    @Test(
        "not numbers or levels",
        arguments: [
            ("number", "-1"), ("number", "1.5"), ("number", "x"), ("levelist", "-5"), ("levelist", "1e3"), ("levelist", ".5"), ("levelist", "5."),
        ])
    func notNumbers(_ key: String, _ input: String) throws {
        #expect(try coerced(key, input) == nil)
    }

    @Test(
        "expver is padded to 4 characters",
        arguments: [("1", "0001"), ("0001", "0001"), ("00001", "0001"), ("12", "0012"), ("hxyz", "hxyz"), ("HXYZ", "hxyz"), ("ab", "00ab")]
    )
    func experimentVersions(_ input: String, _ expected: String) throws {
        #expect(try coerced("expver", input) == expected)
    }

    @Test("not experiment versions", arguments: ["12345", "abcde", "a-b"])
    func notExperimentVersions(_ input: String) throws {
        #expect(try coerced("expver", input) == nil)
    }

    @Test(
        "param by short name or id becomes the id",
        arguments: [
            ("2t", "167"), ("2T", "167"), ("167", "167"), ("167.128", "167"), ("246.228", "228246"), ("msl", "151"), ("100u", "228246"),
            ("tp", "228"), ("999999", "999999"),
        ]
    )
    func parameters(_ input: String, _ expected: String) throws {
        #expect(try coerced("param", input) == expected)
    }

    @Test("param may be written as short names instead")
    func parameterShortNames() throws {
        let settings = MarsLanguageSettings(parameterForm: .shortName)
        #expect(try coerced("param", "167", settings: settings) == "2t")
        #expect(try coerced("param", "2T", settings: settings) == "2t")
        #expect(try coerced("param", "34", settings: settings) == "sst")
        #expect(try coerced("param", "999999", settings: settings) == "999999")
    }

    @Test("unknown parameter names are refused unless configured")
    func unknownParameters() throws {
        #expect(try coerced("param", "foo") == nil)
        #expect(
            try problems("param: 2t/foo") == "param: 'foo' is not a known parameter (expected a short name such as 2t or msl, or an id such as 167)")
        #expect(try coerced("param", "0") == nil)
        #expect(try coerced("param", "1.300") == nil)
        let lenient = MarsLanguageSettings(acceptsUnknownParameterNames: true)
        #expect(try coerced("param", "Foo", settings: lenient) == "foo")
        #expect(try coerced("param", "0", settings: lenient) == nil)
    }

    @Test("operators can add parameters to the table")
    func addedParameters() throws {
        let settings = MarsLanguageSettings(parameters: .standard.adding([.init(shortName: "myvar", id: 999_001)]))
        #expect(try coerced("param", "MyVar", settings: settings) == "999001")
        #expect(try coerced("param", "2t", settings: settings) == "167")
    }

    @Test("the standard table has the common ECMWF parameters")
    func standardTable() {
        let expected: [String: Int] = [
            "2t": 167, "msl": 151, "10u": 165, "10v": 166, "tp": 228, "sp": 134, "t": 130, "u": 131, "v": 132, "z": 129, "q": 133,
            "r": 157, "w": 135, "vo": 138, "d": 155, "tcc": 164, "2d": 168, "skt": 235, "sst": 34, "ci": 31, "lsm": 172, "sd": 141,
            "cp": 143, "lsp": 142, "ssrd": 169, "strd": 175, "ssr": 176, "str": 177, "e": 182, "ro": 205, "tcwv": 137, "cape": 59,
            "10fg": 49, "mx2t": 201, "mn2t": 202, "gh": 156, "pv": 60,
        ]
        for (name, id) in expected {
            #expect(ParameterTable.standard.id(of: name) == id, "\(name)")
            #expect(ParameterTable.standard.shortName(of: id) == name, "\(id)")
        }
        #expect(ParameterTable.standard.entries.count >= 90)
    }

    @Test("class, stream, type and levtype are lower-cased; other keys are kept as written")
    func lowerCase() throws {
        let request = try normalise("class: OD\nstream: Oper\ntype: FC\nlevtype: SFC\ntarget: Out.grib")
        #expect(request["class"] == ["od"])
        #expect(request["stream"] == ["oper"])
        #expect(request["type"] == ["fc"])
        #expect(request["levtype"] == ["sfc"])
        #expect(request["target"] == ["Out.grib"])
    }
}
