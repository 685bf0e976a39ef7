@testable import FiredrillRuntime
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct LoopbackPortTests {
    /// Ports for servers come from below the ephemeral range, where no outgoing connection is given one.
    @Test func freePortsAreBelowTheEphemeralRangeAndBindable() throws {
        let range = try #require(LoopbackPort.ephemeralRange(), "Linux has /proc/sys/net/ipv4/ip_local_port_range")
        var seen: Set<Int> = []
        var takenSince: [Int] = []
        for _ in 0..<50 {
            let port = try LoopbackPort.free()
            #expect(port >= 10_000 && port < range.lowerBound, "port \(port), ephemeral range \(range)")
            if try !LoopbackPort.isFree(port) { takenSince.append(port) }
            seen.insert(port)
        }
        // The suite's other tests bind ports too: one may take a port between the choice and the check.
        #expect(takenSince.count <= 2, "ports not free just after they were chosen: \(takenSince)")
        #expect(seen.count > 40, "chosen at random: \(seen.count) different ports in 50")
    }

    @Test func aHeldPortIsNotFree() throws {
        let held = try LoopbackPort.socketBound(to: try LoopbackPort.free())
        defer { close(held.fd) }
        #expect(listen(held.fd, 1) == 0)
        #expect(try LoopbackPort.isFree(held.port) == false)
    }
}
