import PolytopeConfig
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

@Suite("Command datasource: configuration")
struct CommandDatasourceConfigurationTests {
    @Test("variables the configuration refers to are withheld from programs, but for those every process has")
    func withheldVariables() throws {
        let yaml = "collections: {a: {datasources: [{name: m, type: command, command: mars}]}}"
        let root = try ConfigLoader(environment: [:]).parse(yaml: yaml, file: "t.yaml")
        let reader = ConfigReader(root: root, diagnostics: ConfigDiagnostics(referencedVariables: ["DB_PASSWORD", "MARS_TOKEN", "HOME", "LC_ALL"]))
        let catalog = CollectionCatalogReader().read(collections: reader.section("collections"), sharedDatasources: nil)
        try reader.finish()
        let route = try #require(catalog["a"]?.routes.first)
        let configuration = try #require(route.datasource as? CommandDatasource<ContinuousClock>).configuration
        #expect(configuration.withheldVariables == ["DB_PASSWORD", "MARS_TOKEN"])
    }

    @Test("every option is read, with the documented defaults")
    func options() throws {
        let (catalog, problems) = try readCatalog(
            """
            collections:
              archive:
                datasources:
                  - name: mars
                    type: command
                    command: [/usr/local/bin/mars, "{request}"]
                    output: file
                    timeout: 2h
                    stall-timeout: 30m
                    kill-grace: 2s
                    content-type: application/x-grib2
                    error-patterns: ["^mars - ERROR", "^mars - FATAL"]
                    environment: {MARS_USER_EMAIL: "{attribute:email}", MARS_HOME: /opt/mars}
                    inherit-environment: false
                    working-directory: /var/tmp
                    temporary-directory: /scratch
                    max-output: 20G
                    omit-keys: [datasource]
                  - {name: plain, type: command, command: mars}
            """)
        #expect(problems.isEmpty, "\(problems)")
        let routes = try #require(catalog["archive"]?.routes)
        let mars = try #require(routes[0].datasource as? CommandDatasource<ContinuousClock>).configuration
        #expect(mars.command.map(\.description) == ["/usr/local/bin/mars", "{request}"])
        #expect(mars.output == .file)
        #expect(mars.timeout == .seconds(7200))
        #expect(mars.stallTimeout == .seconds(1800))
        #expect(mars.killGrace == .seconds(2))
        #expect(mars.contentType == "application/x-grib2")
        #expect(mars.errorPatterns == ["^mars - ERROR", "^mars - FATAL"])
        #expect(mars.environment.map(\.name) == ["MARS_USER_EMAIL", "MARS_HOME"])
        #expect(mars.environment[0].value.attributes == ["email"])
        #expect(mars.inheritEnvironment == false)
        #expect(mars.workingDirectory == "/var/tmp")
        #expect(mars.temporaryDirectory == "/scratch")
        #expect(mars.maximumOutput == 20 << 30)
        #expect(mars.omittedKeys == ["datasource"])

        let plain = try #require(routes[1].datasource as? CommandDatasource<ContinuousClock>).configuration
        #expect(plain.command.map(\.description) == ["mars"])
        #expect(plain.output == .fifo)
        #expect(plain.timeout == .seconds(3600))
        #expect(plain.stallTimeout == .seconds(600))
        #expect(plain.contentType == "application/x-grib")
        #expect(plain.inheritEnvironment)
        #expect(plain.maximumOutput == nil)
    }

    @Test("mistakes are reported with their key paths")
    func mistakes() throws {
        let (_, problems) = try readCatalog(
            """
            collections:
              archive:
                datasources:
                  - {name: a, type: command}
                  - name: b
                    type: command
                    command: [/usr/local/bin/mars, "{reqest}"]
                    output: pipe
                    timeout: soon
                    stall-timeout: 0s
                    error-patterns: ["^mars - (ERROR"]
                    environment: {1BAD: x, NESTED: {a: 1}}
                    max-output: 0
                    content-type: not a type
                    colour: red
                  - {name: c, type: command, command: []}
            """)
        let expected = [
            "collections.archive.datasources[0]: a command datasource needs 'command'",
            "collections.archive.datasources[1].command[1]: unknown placeholder {reqest}",
            "collections.archive.datasources[1].output: expected one of fifo, file",
            "collections.archive.datasources[1].timeout: expected a duration",
            "collections.archive.datasources[1].stall-timeout: 0s is too short",
            "collections.archive.datasources[1].error-patterns[0]: not a valid regular expression",
            "collections.archive.datasources[1].environment.1BAD: '1BAD' is not a valid environment variable name",
            "collections.archive.datasources[1].environment.NESTED: expected a text value",
            "collections.archive.datasources[1].max-output: expected a positive size",
            "collections.archive.datasources[1].content-type: expected a media type",
            "collections.archive.datasources[1].colour: unknown key 'colour'",
            "collections.archive.datasources[2].command: expected the program and its arguments",
        ]
        for message in expected {
            #expect(problems.contains { $0.contains(message) }, "missing \(message) in \(problems)")
        }
    }

    @Test("the factory knows the type")
    func registered() {
        #expect(DatasourceFactory().types.contains("command"))
    }
}

@Suite("Command datasource: request file and messages")
struct CommandDatasourceRequestFileTests {
    func document(_ fields: [(String, RequestDocument.Value)]) -> RequestDocument {
        RequestDocument(fields: fields.map { .init(key: $0.0, value: $0.1) })
    }

    @Test("words are bare or quoted; target comes last")
    func render() {
        let text = MarsRequestFile.render(
            verb: .retrieve,
            document: document([("class", .list(["od"])), ("param", .list(["2t", "167.128"])), ("area", .list(["a,b=c/d", "a b"]))]),
            target: "/tmp/x/output")
        #expect(text == "retrieve,\n class=od,\n param=2t/167.128,\n area=\"a,b=c/d\"/\"a b\",\n target=\"/tmp/x/output\"\n")
    }

    @Test(
        "values that could change the request are refused",
        arguments: [
            ("target", RequestDocument.Value.list(["/etc/passwd"]), "key 'target' is set by the service"),
            (
                "param", .list(["2t\"\n target=\"/x"]),
                "key 'param': value '2t\"? target=\"/x' contains a quote, backslash, '#', line break or control character"
            ),
            ("param", .list(["2t\nretrieve"]), "contains a quote, backslash, '#', line break or control character"),
            // metkit reads `\"` as an escaped quote, and `#` as a comment even inside quotes.
            ("expver", .list(["\\"]), "value '\\' contains a quote, backslash"),
            ("param", .list([",target='/tmp/x'.retrieve,class=od,#"]), "contains a quote, backslash, '#'"),
            ("param", .list(["a#b"]), "contains a quote, backslash, '#'"),
            ("param", .list([]), "key 'param' has an empty value"),
            ("param", .list(["2t", ""]), "key 'param' has an empty value"),
            ("feature", .nested(.object(["type": .string("timeseries")])), "key 'feature' has a structured value"),
            ("bad key", .list(["1"]), "key 'bad key' is not a valid request key"),
        ]
    )
    func refusals(key: String, value: RequestDocument.Value, reason: String) {
        let problems = MarsRequestFile.problems(in: document([(key, value)]))
        #expect(problems.contains { $0.contains(reason) }, "\(problems)")
    }

    @Test("omitted keys are not passed to the program, nor checked")
    func omittedKeys() throws {
        var configuration = CommandConfiguration(command: [try CommandTemplate("mars")])
        configuration.omittedKeys = ["target"]
        let datasource = CommandDatasource(configuration: configuration)
        let request = try commandRequest("target: mine\nclass: od")
        #expect(datasource.rejection(of: request) == nil)
        #expect(datasource.programDocument(for: request).keys == ["class"])
    }

    @Test("results serve other users' identical requests unless the command or its environment names who asks")
    func sharedResults() throws {
        #expect(CommandDatasource(configuration: CommandConfiguration(command: [try CommandTemplate("mars")])).resultsServeIdenticalRequests)
        for (command, variable) in [("mars --as={user}", "x"), ("mars", "{attribute:mars-key}"), ("mars {realm}", "x")] {
            var configuration = CommandConfiguration(command: try command.split(separator: " ").map { try CommandTemplate(String($0)) })
            configuration.environment = [.init(name: "MARS_USER_KEY", value: try CommandTemplate(variable))]
            #expect(!CommandDatasource(configuration: configuration).resultsServeIdenticalRequests, "\(command) \(variable)")
        }
        #expect(!EchoDatasource().resultsServeIdenticalRequests, "echo answers the text as written")
        #expect(DummyDatasource(maximumSize: 10).resultsServeIdenticalRequests)
    }

    @Test("only retrieve requests are accepted")
    func archiveRefused() throws {
        let datasource = CommandDatasource(configuration: CommandConfiguration(command: [try CommandTemplate("mars")]))
        var request = try commandRequest("class: od")
        #expect(datasource.rejection(of: request) == nil)
        request.verb = .archive
        #expect(datasource.rejection(of: request) == "this datasource only retrieves data; the verb 'archive' is not supported")
    }

    @Test("placeholders: known names are replaced, unknown ones are refused, other braces are kept")
    func placeholders() throws {
        let template = try CommandTemplate("--user={user}:{attribute:email} {\"json\": 1} {} {request")
        #expect(template.attributes == ["email"])
        let request = try commandRequest(user: User(username: "bob", attributes: ["email": "b@x"]))
        #expect(template.render(request: request, requestFile: "/r", target: "/t") == "--user=bob:b@x {\"json\": 1} {} {request")
        #expect(throws: CommandTemplate.UnknownPlaceholder(name: "reqest")) { try CommandTemplate("{reqest}") }
    }

    @Test("failure messages: error lines first, then the exit status or signal with the last lines")
    func failureMessages() {
        var log = DiagnosticLog()
        #expect(CommandFailure.of(exit: .exited(0), stop: nil, log: log) == nil)
        for index in 1...8 { log.append("progress \(index)", from: .standardError, matchesErrorPattern: false) }
        #expect(
            CommandFailure.of(exit: .exited(4), stop: nil, log: log)?.message
                == "the archive command failed with exit status 4:\nprogress 4\nprogress 5\nprogress 6\nprogress 7\nprogress 8")
        for index in 1...7 { log.append("  mars - ERROR \(index)\u{1B}[0m  ", from: .standardOutput, matchesErrorPattern: true) }
        let failure = CommandFailure.of(exit: .exited(0), stop: nil, log: log)
        #expect(failure?.message.hasPrefix("mars - ERROR 1 [0m\nmars - ERROR 2") == true, "\(String(describing: failure))")
        #expect(failure?.message.hasSuffix("mars - ERROR 5 [0m\n(and 2 more error lines)") == true)
        #expect(
            CommandFailure.of(exit: .signalled(15), stop: .stalled(.seconds(600)), log: DiagnosticLog())
                == CommandFailure(code: .unavailable, message: "the archive command produced no data for 10m; stopped"))
        #expect(
            CommandFailure.of(exit: .signalled(9), stop: nil, log: DiagnosticLog())?.message == "the archive command was ended by signal 9 (SIGKILL)")
        #expect(CommandFailure.redact("token abcd and abc", secrets: ["abcd", "abc"]) == "token *** and abc")
    }
}
