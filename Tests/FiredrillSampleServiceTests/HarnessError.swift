/// A failure of the test harness itself (a hang guard tripping, a launch failing).
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
