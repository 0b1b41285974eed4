import Datasources
import Foundation
import Glibc
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Command datasource: running the program")
struct CommandDatasourceTests {
    static let modes: [CommandConfiguration.OutputMode] = [.fifo, .file]

    @Test("the program's output arrives byte for byte", arguments: modes)
    func success(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"printf 'GRIB\000\001\377 7777' > "$2""#)
        let datasource = CommandDatasource(configuration: try commandConfiguration(program, output: mode))
        let sink = CollectingSink()
        try await datasource.retrieve(try commandRequest(), into: sink)
        #expect(sink.bytes == Array("GRIB".utf8) + [0, 1, 255] + Array(" 7777".utf8))
        #expect(datasource.contentType(for: try commandRequest()) == "application/x-grib")
    }

    @Test("the request reaches the program in MARS syntax, with target set to the output")
    func requestFile() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"cat "$1" > "$2""#)
        let datasource = CommandDatasource(configuration: try commandConfiguration(program))
        let sink = CollectingSink()
        try await datasource.retrieve(try commandRequest("class: od\nparam: [2t, msl]\ndate: 20240101\ngrid: 0.25/0.25\narea: [\"a b\"]"), into: sink)
        let text = sink.text
        #expect(text.hasPrefix("retrieve,\n class=od,\n param=2t/msl,\n date=20240101,\n grid=0.25/0.25,\n area=\"a b\",\n target=\""), "\(text)")
        #expect(text.hasSuffix("/output\"\n"), "\(text)")
    }

    @Test("50 MB are streamed in chunks of at most 1 MiB", arguments: modes)
    func largeOutput(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let size = 50 * 1_048_576
        let program = try scripts.script(#"head -c \#(size) /dev/zero > "$2""#)
        let sink = ObservingSink()
        try await CommandDatasource(configuration: try commandConfiguration(program, output: mode)).retrieve(try commandRequest(), into: sink)
        #expect(sink.byteCount == size)
        #expect(sink.largestChunk <= 1 << 20)
        #expect(sink.chunkCount >= 50)
    }

    @Test("output reaches the sink while the program still runs", arguments: modes)
    func streamsWhileRunning(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(
            #"""
            exec 3>"$2"
            printf first >&3
            while [ ! -e "$DIR/go" ]; do sleep 0.02; done
            printf second >&3
            """#)
        let datasource = CommandDatasource(configuration: try commandConfiguration(program, output: mode))
        let sink = ObservingSink()
        let request = try commandRequest()
        let run = Task { try await datasource.retrieve(request, into: sink) }
        try await sink.waitForBytes(atLeast: 5)
        #expect(sink.text == "first")
        scripts.touch("go")
        try await within { try await run.value }
        #expect(sink.text == "firstsecond")
    }

    @Test("partial output, then a non-zero exit: the exit status and the last lines of standard error", arguments: modes)
    func partialThenFailure(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(
            #"""
            printf partial > "$2"
            echo "reading tape 3" >&2
            echo "retrieval failed half way" >&2
            exit 3
            """#)
        await #expect {
            try await CommandDatasource(configuration: try commandConfiguration(program, output: mode)).retrieve(
                try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == "the archive command failed with exit status 3:\nreading tape 3\nretrieval failed half way"
        }
    }

    @Test("a line matching an error pattern is the user's message, whatever the exit status", arguments: [0, 1])
    func errorLine(status: Int) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(
            #"""
            echo "mars - INFO   - 20240101.000000 - Welcome to MARS"
            echo "   mars - ERROR  - 20240101.000001 - No data for param=999   " >&2
            echo "mars - INFO   - 20240101.000002 - Request failed"
            exit \#(status)
            """#)
        var configuration = try commandConfiguration(program)
        configuration.errorPatterns = ["^\\s*mars - ERROR", "^mars - FATAL"]
        await #expect {
            try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == "mars - ERROR  - 20240101.000001 - No data for param=999"
        }
    }

    @Test("a program that crashes: the signal is named", arguments: modes)
    func crash(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"printf abc > "$2"; kill -SEGV $$"#)
        await #expect {
            try await CommandDatasource(configuration: try commandConfiguration(program, output: mode)).retrieve(
                try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == "the archive command was ended by signal 11 (SIGSEGV)"
        }
    }

    /// A script that starts a helper, records both process ids, writes one byte and waits.
    func hangingProgram(in scripts: ScriptDirectory, ignoringTerm: Bool = false) throws -> String {
        try scripts.script(
            #"""
            \#(ignoringTerm ? "trap '' TERM" : "")
            sleep 1000 &
            echo $! > "$DIR/helper.pid"
            echo $$ > "$DIR/program.pid"
            exec 3>"$2"
            printf x >&3
            wait
            """#)
    }

    @Test("no output for stall-timeout: the program and its helpers are stopped", arguments: modes)
    func stall(mode: CommandConfiguration.OutputMode) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let clock = ManualClock()
        let datasource = CommandDatasource(configuration: try commandConfiguration(try hangingProgram(in: scripts), output: mode), clock: clock)
        let sink = ObservingSink()
        let request = try commandRequest()
        let run = Task { try await datasource.retrieve(request, into: sink) }
        try await sink.waitForBytes(atLeast: 1)
        clock.advance(by: .seconds(599))
        clock.advance(by: .seconds(1))
        let result = try await within { await run.result }
        #expect(throws: PolytopeError.self) { try result.get() }
        #expect(result.errorMessage == "the archive command produced no data for 10m; stopped")
        let (program, helper) = (try scripts.pid("program.pid"), try scripts.pid("helper.pid"))
        #expect(!processExists(program))
        #expect(await processEnds(helper))
    }

    @Test("the whole run is limited by timeout, even while output keeps coming")
    func overallTimeout() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"while :; do printf x; sleep 0.05; done > "$2""#)
        let clock = ManualClock()
        var configuration = try commandConfiguration(program)
        configuration.stallTimeout = .seconds(7200)
        let datasource = CommandDatasource(configuration: configuration, clock: clock)
        let sink = ObservingSink()
        let request = try commandRequest()
        let run = Task { try await datasource.retrieve(request, into: sink) }
        try await sink.waitForBytes(atLeast: 2)
        clock.advance(by: .seconds(3600))
        let result = try await within { await run.result }
        #expect(result.errorMessage == "the archive command did not finish within 1h; stopped")
    }

    @Test("cancelling the retrieving task kills the program and its helpers", arguments: [false, true])
    func cancellation(ignoringTerm: Bool) async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let datasource = CommandDatasource(configuration: try commandConfiguration(try hangingProgram(in: scripts, ignoringTerm: ignoringTerm)))
        let sink = ObservingSink()
        let request = try commandRequest()
        let run = Task { try await datasource.retrieve(request, into: sink) }
        try await sink.waitForBytes(atLeast: 1)
        let program = try scripts.pid("program.pid")
        let helper = try scripts.pid("helper.pid")
        #expect(processExists(program))
        run.cancel()
        let result = try await within { await run.result }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(!processExists(program))
        #expect(await processEnds(helper))
    }

    @Test("output over max-output stops the program")
    func maximumOutput() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"head -c 3145728 /dev/zero > "$2""#)
        var configuration = try commandConfiguration(program)
        configuration.maximumOutput = 1_048_576
        let sink = ObservingSink()
        await #expect {
            try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: sink)
        } throws: { error in
            userMessage(of: error) == "the result is larger than the limit of 1M; stopped"
        }
        #expect(sink.byteCount <= 1_048_576)
    }

    @Test("a program that cannot be started is an operator's problem, not shown to the user")
    func missingProgram() async throws {
        let datasource = CommandDatasource(configuration: CommandConfiguration(command: [try CommandTemplate("/nonexistent/mars")]))
        await #expect {
            try await datasource.retrieve(try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == nil && "\(error)".contains("/nonexistent/mars")
        }
    }

    @Test("environment: placeholders from the user's account; inherited variables only when asked")
    func environment() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"printf '%s|%s|%s' "$MARS_USER_EMAIL" "$ORIGIN" "${HOME:-unset}" > "$2""#)
        var configuration = try commandConfiguration(program)
        configuration.inheritEnvironment = false
        configuration.environment = [
            CommandConfiguration.EnvironmentVariable(name: "MARS_USER_EMAIL", value: try CommandTemplate("{attribute:email}")),
            CommandConfiguration.EnvironmentVariable(name: "ORIGIN", value: try CommandTemplate("polytope-{user}@{realm}")),
        ]
        let user = User(username: "alice", realm: "ecmwf", attributes: ["email": "alice@example.int"])
        let datasource = CommandDatasource(configuration: configuration)
        let sink = CollectingSink()
        try await datasource.retrieve(try commandRequest(user: user), into: sink)
        #expect(sink.text == "alice@example.int|polytope-alice@ecmwf|unset")

        let refusal = datasource.rejection(of: try commandRequest(user: Fixtures.alice))
        #expect(refusal == "this datasource needs the account attribute 'email', which your account does not have")
    }

    @Test("variables the configuration refers to are not inherited, unless passed in environment")
    func withheldVariables() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"printf '%s|%s' "${HOME:-unset}" "${PATH:+set}" > "$2""#)
        var configuration = try commandConfiguration(program)
        configuration.withheldVariables = ["HOME"]
        let sink = CollectingSink()
        try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: sink)
        #expect(sink.text == "unset|set", "HOME withheld, PATH inherited")

        configuration.environment = [CommandConfiguration.EnvironmentVariable(name: "HOME", value: try CommandTemplate("/given"))]
        let given = CollectingSink()
        try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: given)
        #expect(given.text == "/given|set", "passed explicitly")
    }

    @Test("configured environment values never appear in messages")
    func credentialsMasked() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"echo "authentication failed for token $MARS_TOKEN" >&2; exit 2"#)
        var configuration = try commandConfiguration(program)
        configuration.environment = [CommandConfiguration.EnvironmentVariable(name: "MARS_TOKEN", value: try CommandTemplate("tok-9f8e7d6c5b4a"))]
        await #expect {
            try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == "the archive command failed with exit status 2:\nauthentication failed for token ***"
        }
    }

    @Test("the program runs in a private directory that is removed afterwards, unless working-directory is set")
    func workingDirectory() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"pwd > "$2""#)
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        var configuration = try commandConfiguration(program)
        configuration.temporaryDirectory = temporary.path
        let sink = CollectingSink()
        try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: sink)
        let directory = sink.text.trimmingCharacters(in: .newlines)
        #expect(directory.hasPrefix(temporary.path + "/polytope-command-"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)

        configuration.workingDirectory = scripts.path
        let second = CollectingSink()
        try await CommandDatasource(configuration: configuration).retrieve(try commandRequest(), into: second)
        #expect(second.text == scripts.path + "\n")
    }

    @Test("the server's open descriptors do not reach the program")
    func descriptorsClosed() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"ls /proc/self/fd > "$2""#)
        let inheritable = open("/dev/null", O_RDONLY)
        defer { close(inheritable) }
        #expect(inheritable > 2)
        let sink = CollectingSink()
        try await CommandDatasource(configuration: try commandConfiguration(program)).retrieve(try commandRequest(), into: sink)
        // 0-2 are standard input, output and error; 3 is the directory `ls` reads.
        #expect(sink.text.split(separator: "\n") == ["0", "1", "2", "3"])
    }

    @Test("without {request}, the request file is the last argument")
    func requestFileAppended() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script(#"cat "$2" > "$1""#)
        var configuration = try commandConfiguration(program)
        configuration.command = try ["/bin/sh", program, "{target}"].map(CommandTemplate.init)
        let sink = CollectingSink()
        try await CommandDatasource(configuration: configuration).retrieve(try commandRequest("class: od"), into: sink)
        #expect(sink.text.hasPrefix("retrieve,\n class=od,\n target=\""), "\(sink.text)")
    }

    @Test("a hanging program is stopped by stall-timeout from the configuration (real clock)")
    func stallFromConfiguration() async throws {
        let scripts = try ScriptDirectory()
        defer { scripts.remove() }
        let program = try scripts.script("sleep 1000")
        let (catalog, problems) = try readCatalog(
            """
            collections:
              archive:
                datasources:
                  - {name: mars, type: command, command: [/bin/sh, "\(program)", "{request}", "{target}"], stall-timeout: 300ms, kill-grace: 100ms}
            """)
        #expect(problems.isEmpty, "\(problems)")
        let datasource = try #require(catalog["archive"]?.routes.first?.datasource)
        let started = ContinuousClock.now
        await #expect {
            try await datasource.retrieve(try commandRequest(), into: CollectingSink())
        } throws: { error in
            userMessage(of: error) == "the archive command produced no data for 300ms; stopped"
        }
        // Stopped, not left to run its 1000 s; the bound is loose because with every suite
        // running in parallel on 2 cores, the timer task has waited 12 s for a thread.
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}

extension Result where Failure == any Error {
    /// The user's message of a failure, if it has one.
    var errorMessage: String? {
        guard case .failure(let error) = self else { return nil }
        return userMessage(of: error)
    }
}
