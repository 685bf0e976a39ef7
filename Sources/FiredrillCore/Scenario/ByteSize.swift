/// Sizes as a scenario writes them (`max_body: 10MiB`) and as messages show them.
public enum ByteSize {
    /// The HTTP response body read when a probe sets no `max_body`.
    public static let defaultMaxBody = 1 << 20
    /// The largest `max_body`: past it a probe is reading a download, not checking a service.
    public static let largestMaxBody = 1 << 30

    /// `4096`, `512KiB`, `10 MiB`, `1GiB`, `1.5MiB`, `10MB` (KB, MB, GB are powers of 1000);
    /// nil for anything else. Fractions are rounded down to whole bytes.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(digits.count).drop { $0 == " " }
        guard !digits.isEmpty, digits.first != ".", digits.last != ".", let number = Double(digits) else { return nil }
        let scale: Double
        switch unit {
        case "", "B", "b", "bytes", "byte": scale = 1
        case "KiB", "kiB", "K", "k": scale = 1024
        case "MiB", "M": scale = 1024 * 1024
        case "GiB", "G": scale = 1024 * 1024 * 1024
        case "KB", "kB", "kb": scale = 1000
        case "MB", "mb": scale = 1_000_000
        case "GB", "gb": scale = 1_000_000_000
        default: return nil
        }
        let bytes = number * scale
        guard bytes.isFinite, bytes < 1e15 else { return nil }
        return Int(bytes)
    }

    /// `1 MiB`, `1.5 MiB`, `512 KiB`, `900 bytes`: the largest binary unit that leaves 1 or more.
    public static func describe(_ bytes: Int) -> String {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (name, size) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            let tenths = (value * 10).rounded(.down) / 10
            let shown = tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
            return "\(shown) \(name)"
        }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }
}
