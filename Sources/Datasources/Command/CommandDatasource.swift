import Foundation
import NIOCore
import PolytopeCore

/// Runs a configured program, such as the MARS client, for each request: the request is
/// written in MARS syntax to a file in a private temporary directory, with `target` set to a
/// FIFO (or a file) there, and what the program writes to the target is streamed to the sink
/// while it runs.
///
/// The program is stopped (`SIGTERM`, then `SIGKILL` after `killGrace`, to its whole process
/// group) when the run takes longer than `timeout`, produces no output for `stallTimeout`, goes
/// over `maximumOutput`, or when the retrieving task is cancelled. A non-zero exit status, a
/// signal, or a printed line matching one of the error patterns fails the request with a
/// message for the user; configured environment values never appear in it.
package struct CommandDatasource<C: Clock<Duration>>: Datasource {
    package let configuration: CommandConfiguration
    let clock: C
    /// The most bytes read from the program and written to the sink at once.
    static var chunkSize: Int { 1 << 20 }

    package init(configuration: CommandConfiguration, clock: C) {
        self.configuration = configuration
        self.clock = clock
    }

    package func rejection(of request: DatasourceRequest) -> String? {
        let problems = problems(with: request)
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    package func contentType(for request: DatasourceRequest) -> String { configuration.contentType }

    /// Not when the command or its environment names who asks (their credentials): the result
    /// is then what that user may fetch.
    package var resultsServeIdenticalRequests: Bool {
        !(configuration.command + configuration.environment.map(\.value)).contains(where: \.namesTheUser)
    }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let problems = problems(with: request)
        guard problems.isEmpty else { throw PolytopeError.invalidRequest(problems.joined(separator: "; ")) }
        try Task.checkCancellation()

        let workspace = try CommandWorkspace(in: configuration.temporaryDirectory)
        defer { workspace.remove() }
        let requestFile = workspace.file("request")
        let target = workspace.file("output")
        try workspace.createFile(
            named: "request", containing: MarsRequestFile.render(verb: request.verb, document: programDocument(for: request), target: target))
        let source: OutputReader.Source
        switch configuration.output {
        case .fifo:
            try workspace.makeFIFO("output")
            source = .fifo(path: target)
        case .file:
            source = .file(path: target)
        }

        let environment = configuration.environment.map { ($0.name, $0.value.render(request: request, requestFile: requestFile, target: target)) }
        let run = CommandRun(
            timeout: configuration.timeout, stallTimeout: configuration.stallTimeout, killGrace: configuration.killGrace,
            maximumOutput: configuration.maximumOutput, chunkSize: Self.chunkSize, errorPatterns: configuration.errorPatterns, clock: clock)
        let outcome = try await run.run(
            invocation(for: request, requestFile: requestFile, target: target, environment: environment, workspace: workspace),
            output: source, into: output)

        if let error = outcome.sinkError { throw error }
        if !outcome.complete, Task.isCancelled { throw CancellationError() }
        if let error = outcome.readError { throw error }
        if let failure = CommandFailure.of(exit: outcome.exit, stop: outcome.stop, log: outcome.log, secrets: environment.map { $0.1 }) {
            throw failure.error
        }
    }

    /// The request as the program gets it: without the keys the configuration omits.
    func programDocument(for request: DatasourceRequest) -> RequestDocument {
        guard !configuration.omittedKeys.isEmpty else { return request.document }
        return RequestDocument(fields: request.document.fields.filter { !configuration.omittedKeys.contains($0.key) })
    }

    private func problems(with request: DatasourceRequest) -> [String] {
        var problems = MarsRequestFile.problems(in: programDocument(for: request))
        if request.verb != .retrieve {
            // The program would need the uploaded data, which this datasource cannot pass on.
            problems.insert("this datasource only retrieves data; the verb '\(request.verb.rawValue)' is not supported", at: 0)
        }
        let needed = (configuration.command + configuration.environment.map(\.value)).flatMap(\.attributes)
        var seen: Set<String> = []
        for name in needed where request.user.attributes[name] == nil && seen.insert(name).inserted {
            problems.append("this datasource needs the account attribute '\(name)', which your account does not have")
        }
        return problems
    }

    private func invocation(
        for request: DatasourceRequest, requestFile: String, target: String, environment: [(String, String)], workspace: CommandWorkspace
    ) -> CommandRun<C>.Invocation {
        let rendered = configuration.command.map { $0.render(request: request, requestFile: requestFile, target: target) }
        var arguments = Array(rendered.dropFirst())
        let templates = configuration.command + configuration.environment.map(\.value)
        if !templates.contains(where: { $0.uses(.request) }) { arguments.append(requestFile) }

        var variables = configuration.inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        for name in configuration.withheldVariables { variables[name] = nil }
        for (name, value) in environment { variables[name] = value }
        return CommandRun<C>.Invocation(
            program: rendered.first ?? "", arguments: arguments,
            environment: variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            workingDirectory: configuration.workingDirectory ?? workspace.path)
    }
}

extension CommandDatasource where C == ContinuousClock {
    /// A datasource that measures its timeouts on the continuous clock.
    package init(configuration: CommandConfiguration) {
        self.init(configuration: configuration, clock: ContinuousClock())
    }
}
