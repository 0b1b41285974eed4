import Foundation
import MarsLanguage
import PolytopeCore
import Testing

@Suite("Normalised requests")
struct NormaliserTests {
    @Test("a YAML request keeps its order, with keys and values in canonical form")
    func yamlRequest() throws {
        let request = try normalise(
            "Class: OD\nDate: 2024-01-01/-1\nTime: 12:00\nParam: [2t, MSL]\nStep: [0, 6h, 1h30m]\nExpver: 1\nlevelist: 0850\nnumber: 01"
        )
        #expect(request.keys == ["class", "date", "time", "param", "step", "expver", "levelist", "number"])
        #expect(request["date"] == ["20240101", day(-1)])
        #expect(request["time"] == ["1200"])
        #expect(request["param"] == ["167", "151"])
        #expect(request["step"] == ["0", "6", "1h30m"])
        #expect(request["expver"] == ["0001"])
        #expect(request["levelist"] == ["850"])
        #expect(request["number"] == ["1"])
        #expect(request["DATE"] == request["date"])
        #expect(request.verb == nil)
    }

    @Test("MARS text: the verb, upper-case keys and the MARS form of the result")
    func marsText() throws {
        let text = "RETRIEVE,\n  CLASS = od, DATE = 20240101/to/20240102,\n  PARAM = 2t, STEP = 0/to/12/by/6"
        let verb = MarsRequestNormaliser.leadingVerb(ofMARSText: text)
        #expect(verb == "retrieve")
        let request = try normalise(text, verb: verb)
        #expect(request.verb == .retrieve)
        #expect(request.marsText == "retrieve,class=od,date=20240101/20240102,param=167,step=0/6/12")
        #expect(MarsRequestNormaliser.leadingVerb(ofMARSText: "class=od, date=-1") == nil)
        #expect(MarsRequestNormaliser.leadingVerb(ofMARSText: "class: od") == nil)
    }

    @Test("every problem is reported at once, in request order, naming key and value")
    func allProblemsTogether() throws {
        let message = try problems("date: 2024-13-01\ntime: 25\nstep: 6x/12\nparam: 2t/foo\nexpver: abcde\nclass: od", verb: "fetch")
        #expect(
            message
                == "verb: 'fetch' is not a known verb (expected retrieve or archive); "
                + "date: '2024-13-01' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as 0 for today or -1 for yesterday); "
                + "time: '25' is not a time (expected HHMM, HH:MM or whole hours such as 0, 6 or 12); "
                + "step: '6x' is not a step (expected hours such as 6, a duration such as 6h, 30m or 1h30m, or a period such as 0-24); "
                + "param: 'foo' is not a known parameter (expected a short name such as 2t or msl, or an id such as 167); "
                + "expver: 'abcde' is not an experiment version (expected up to 4 letters or digits, such as 1, 0001 or hxyz)"
        )
    }

    @Test("the error is a user-facing 400")
    func errorType() throws {
        let document = try RequestTextParser().parse("date: x")
        #expect(throws: MarsRequestError.self) { try MarsRequestNormaliser().normalise(document, now: fixedNow) }
        do {
            _ = try MarsRequestNormaliser().normalise(document, now: fixedNow)
        } catch {
            #expect(error.problems.map(\.key) == ["date"])
            #expect(error.problems.map(\.value) == ["x"])
            #expect(error.polytopeError.code == .invalidRequest)
            #expect(error.polytopeError.message == error.userMessage)
            #expect(error.userMessage.hasPrefix("date: 'x' is not a date"))
        }
    }

    @Test(
        "values repeated after normalisation are refused",
        arguments: [
            ("time: 0/00/12", "time: '0000' is asked for more than once (values are compared after normalisation)"),
            ("param: 2t/167/t/2T", "param: '167' is asked for more than once (values are compared after normalisation)"),
            ("step: 0/to/12/by/6/6/6", "step: '6' is asked for more than once (values are compared after normalisation)"),
            ("date: -1/\(day(-1))", "date: '\(day(-1))' is asked for more than once (values are compared after normalisation)"),
            ("class: od/od", "class: 'od' is asked for more than once (values are compared after normalisation)"),
        ]
    )
    func duplicateValues(_ text: String, _ message: String) throws {
        #expect(try problems(text) == message)
    }

    @Test("keys that differ only in case are one key, given twice")
    func duplicateKeys() {
        let fields: [RequestDocument.Field] = [.init(key: "Param", value: .list(["2t"])), .init(key: "PARAM", value: .list(["msl"]))]
        #expect(throws: MarsRequestError(problems: [.init(key: "param", reason: "is given more than once (keys do not depend on case)")])) {
            try MarsRequestNormaliser().normalise(fields: fields, now: fixedNow)
        }
    }

    @Test("'all' only where configured, and only alone")
    func all() throws {
        #expect(try problems("number: all") == "number: 'all' is not accepted for this key; list the values wanted")
        var settings = MarsLanguageSettings.standard
        settings.setAllowsAll(true, for: "Number")
        #expect(try values("number: ALL", "number", settings: settings) == ["all"])
        #expect(try problems("number: 1/all", settings: settings) == "number: '1/all' combines 'all' with other values")
        #expect(try problems("levelist: all", settings: settings) != nil)
        settings.setAllowsAll(false, for: "number")
        #expect(try problems("number: all", settings: settings) != nil)
    }

    @Test("a key without a value is a problem")
    func emptyValue() throws {
        #expect(try problems("class: od\nstream:") == "stream: has no value")
    }

    @Test("structured values pass through unless their key has a kind")
    func structuredValues() throws {
        let request = try normalise("class: od\nfeature:\n  type: timeseries\n  points: [[1, 2]]\nparam: 2t")
        #expect(request.keys == ["class", "param"])
        #expect(request.structuredFields.map(\.key) == ["feature"])
        #expect(request.document.keys == ["class", "param", "feature"])
        #expect(try problems("date:\n  from: 1") == "date: expected a date or a list of them, found a structure")
    }

    @Test("coercion per key is configurable")
    func configurableKinds() throws {
        var settings = MarsLanguageSettings.standard
        settings.setKind(.text, for: "time")
        settings.setKind(.date, for: "refdate")
        settings.setKind(nil, for: "class")
        #expect(settings.kind(of: "TIME") == .text)
        let request = try normalise("time: 12:00\nrefdate: -1\nclass: OD", settings: settings)
        #expect(request["time"] == ["12:00"])
        #expect(request["refdate"] == [day(-1)])
        #expect(request["class"] == ["OD"])
        let custom = MarsLanguageSettings(kinds: ["Level": .level], keysAllowingAll: ["Param"])
        #expect(custom.kind(of: "level") == .level)
        #expect(custom.kind(of: "date") == nil)
        #expect(custom.allowsAll(for: "param"))
        #expect(MarsValueKind(rawValue: "expver") == .experimentVersion)
        #expect(MarsValueKind(rawValue: "param") == .parameter)
        #expect(MarsLanguageSettings.ParameterForm(rawValue: "short-name") == .shortName)
    }

    @Test("many problems: the first twenty are listed, the rest counted")
    func manyProblems() throws {
        let text = "number: " + (1...30).map { "x\($0)" }.joined(separator: "/")
        let message = try #require(try problems(text))
        #expect(message.components(separatedBy: "; ").count == 21)
        #expect(message.hasSuffix("; and 10 more problems"))
        #expect(message.hasPrefix("number: 'x1' is not a whole number (expected a whole number such as 0, 1 or 50)"))
    }

    @Test("long values are shortened in messages")
    func longValues() throws {
        let long = String(repeating: "9", count: 200)
        let message = try #require(try problems("date: '\(long)'"))
        #expect(message.hasPrefix("date: '" + String(repeating: "9", count: 57) + "...' is not a date"))
        #expect(message.count < 200)
    }

    @Test("the document form of the result reads back the same")
    func documentRoundTrip() throws {
        let request = try normalise("class: od\ndate: -2/to/-1\nparam: 2t")
        let again = try MarsRequestNormaliser().normalise(request.document, now: fixedNow)
        #expect(again == request)
    }
}
