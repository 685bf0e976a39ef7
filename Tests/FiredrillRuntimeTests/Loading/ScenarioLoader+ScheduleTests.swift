import FiredrillCore
import FiredrillRuntime
import Testing

@Suite struct ScenarioLoaderScheduleTests {
    static let base = """
        firedrill: 1
        name: s
        phases:
          - name: p
            steps:
              - {name: a, shell: "true"}

        """

    func load(_ tail: String) -> (Scenario?, [String]) {
        let parsed = ScenarioLoader.parse(text: Self.base + tail, file: "s.yaml", baseDirectory: ".", fileExists: { _ in true })
        return (parsed.scenario, parsed.findings.filter { $0.severity == .error }.map(\.description))
    }

    @Test func everyForm() {
        #expect(load("schedule: quarterly").0?.schedule == DrillSchedule(rule: .quarterly, location: .init(file: "s.yaml", line: 7, column: 11)))
        #expect(load("schedule: {every: monthly, time_zone: Europe/Stockholm}").0?.schedule?.description == "monthly (Europe/Stockholm)")
        #expect(load("schedule: {cron: \"0 9 1 */3 *\", time_zone: America/New_York}").0?.schedule?.description
                == "cron 0 9 1 */3 * (America/New_York)")
    }

    @Test func mistakesPointAtTheirPlace() {
        #expect(load("schedule: weekly").1 == ["s.yaml:7:11: error: expected monthly, quarterly or yearly, got 'weekly'; for anything else write 'cron: \"0 9 1 */3 *\"'"])
        #expect(load("schedule: {cron: \"0 9 1 13 *\"}").1 == ["s.yaml:7:25: error: cron: month '13': out of range 1-12"])
        #expect(load("schedule: {cron: \"0 9 1 * *\", time_zone: Mars/Olympus}").1
                == ["s.yaml:7:42: error: unknown time zone 'Mars/Olympus'; use an IANA name like Europe/Stockholm or UTC"])
        #expect(load("schedule: {every: yearly, cron: \"0 9 1 * *\"}").1 == ["s.yaml:7:11: error: schedule takes 'every' or 'cron', not both"])
        #expect(load("schedule: {time_zone: UTC}").1 == ["s.yaml:7:11: error: schedule needs 'every' (monthly, quarterly, yearly) or 'cron'"])
    }
}
