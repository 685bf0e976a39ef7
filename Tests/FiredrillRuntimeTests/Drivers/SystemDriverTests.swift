import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

@Suite("SystemDriver dispatch")
struct SystemDriverTests {
    let driver = SystemDriver()
    let limits = DriverLimits()

    @Test func eachActionReachesItsDriver() async throws {
        let run = await driver.perform(.run(argv: ["sh", "-c", "echo via-run"]), deadline: .none, limits: limits)
        #expect(run.verdict == .passed)
        #expect(run.stdout?.text == "via-run\n")

        let shell = await driver.perform(.shell(script: "exit 7"), deadline: .none, limits: limits)
        #expect(shell.summary == "exit 7")

        let sleep = await driver.perform(.sleep(.milliseconds(1)), deadline: .none, limits: limits)
        #expect(sleep.summary == "slept 1ms")

        let tcp = await driver.perform(.tcp(host: "127.0.0.1", port: 1, timeout: .seconds(5)), deadline: .none, limits: limits)
        #expect(tcp.summary == "connection refused to 127.0.0.1:1")

        let http = await driver.perform(.http(ResolvedHTTP(method: "GET", url: "http://127.0.0.1:1/")), deadline: .none, limits: limits)
        #expect(http.summary == "connection refused by 127.0.0.1:1")

        let kill = await driver.perform(.kill(.pidfile("/nonexistent/firedrill.pid"), signal: "TERM", processGroup: true), deadline: .none, limits: limits)
        #expect(kill.verdict == .error)
        #expect(kill.summary.hasPrefix("cannot read pidfile /nonexistent/firedrill.pid"))
    }

    @Test func driversRejectActionsThatAreNotTheirs() async {
        let report = await ProcessDriver().perform(.sleep(.seconds(1)), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(await HTTPDriver().perform(.shell(script: "true"), deadline: .none, limits: limits).verdict == .error)
        #expect(await TCPDriver().perform(.shell(script: "true"), deadline: .none, limits: limits).verdict == .error)
        #expect(await KillDriver().perform(.shell(script: "true"), deadline: .none, limits: limits).verdict == .error)
        #expect(await SleepDriver().perform(.shell(script: "true"), deadline: .none, limits: limits).verdict == .error)
    }

    /// A kind is its file and a line in `ActionKinds.all`: what it performs as must then have a
    /// driver, and read back from the record as the same action, with nothing else to edit.
    @Test(arguments: ActionKind.all.map(\.key))
    func everyKindPerformsThroughADriverAndReadsBackFromTheRecord(_ key: String) throws {
        let kind = try #require(ActionKind.named(key))
        let text = """
            firedrill: 1
            name: kinds
            phases:
              - name: p
                steps:
                  - {name: step, \(key): \(kind.example)}
            """
        let scenario = try #require(ScenarioLoader.parse(text: text, file: "k.yaml", baseDirectory: "/", fileExists: { _ in true }).scenario)
        let action = try #require(scenario.phases.first?.steps.first?.action)
        let scope = VariableScope(vars: [:], environment: [:], runID: "r", scenarioName: "kinds")
        guard let resolved = try scope.resolve(action).action else {
            #expect(key == "manual", "only a manual step performs nothing itself")
            return
        }
        #expect(SystemDriver.standard[resolved.performer] != nil, "no driver named '\(resolved.performer)'")
        let data = try JSONEncoder().encode(resolved)
        #expect(try JSONDecoder().decode(ResolvedAction.self, from: data) == resolved)
        #expect(resolved.isInjecting == action.isInjecting)
    }
}
