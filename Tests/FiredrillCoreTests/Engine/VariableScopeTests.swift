import Testing
@testable import FiredrillCore

@Suite struct VariableScopeTests {
    @Test func marksResolveAsUnixSecondsOnceRecorded() throws {
        var scope = VariableScope(vars: [:], environment: [:], runID: "r", scenarioName: "s")
        let query = Template("max_over_time(x[1h] @ ${mark.disaster})")
        #expect(throws: UnresolvedReference.self) { try scope.resolve(query) }
        scope.marks["disaster"] = VariableScope.unixSeconds(1_795_250_061_512_345_678)
        #expect(try scope.resolve(query) == "max_over_time(x[1h] @ 1795250061.512)")
    }

    @Test func unixSecondsKeepMillisecondsAndTheirZeros() {
        #expect(VariableScope.unixSeconds(0) == "0.000")
        #expect(VariableScope.unixSeconds(1_000_000_001_000_000) == "1000000.001")
        #expect(VariableScope.unixSeconds(1_795_250_061_099_999_999) == "1795250061.099")
        #expect(VariableScope.unixSeconds(-1_500_000_000) == "-1.500")
    }
}
