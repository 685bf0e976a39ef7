import FiredrillCore

/// The events a long run records by the thousand (probe, canary and guard samples), and the
/// ends a history of thousands of runs lists, decoded straight from the JSON the store wrote
/// for them: `JSONDecoder` took about 12 µs an event on Linux, which a report of 100,000 probe
/// samples paid for each, and 15 µs an end with its headline. Only the exact form
/// `JSONEncoder` writes is read here (sorted keys, no spaces, every field of these types and
/// no other, each once, whole numbers); for anything else `event` says nil and `JSONDecoder`
/// decides, so a payload never decodes differently for having been read here.
struct SampleJSON {
    /// The step ref read last, by its text: a run's samples name a handful of steps, thousands
    /// of times each, and `StepRef(_:)` splits its text each time.
    var refText: [UInt8] = []
    var ref: StepRef?

    mutating func event(_ payload: String) -> DrillEvent? {
        var payload = payload
        return payload.withUTF8 { bytes in
            if bytes.count > Self.endSuffix.count, bytes.suffix(Self.endSuffix.count).elementsEqual(Self.endSuffix) {
                var reader = Reader(bytes: bytes, end: bytes.count - Self.endSuffix.count)
                guard reader.literal(Self.endPrefix), let headline = reader.headline(), reader.literal(Self.endStatus),
                      let status = reader.string().flatMap(RunStatus.init(rawValue:)), reader.index == reader.end else { return nil }
                return .runEnded(status, headline: headline)
            }
            for kind in Kind.allCases {
                let suffix = kind.suffix
                guard bytes.count > suffix.count, bytes.suffix(suffix.count).elementsEqual(suffix) else { continue }
                var reader = Reader(bytes: bytes, end: bytes.count - suffix.count)
                guard reader.literal(Reader.prefix), let event = reader.payload(kind, refs: &self), reader.index == reader.end else { return nil }
                return event
            }
            return nil
        }
    }

    /// `{"headline":{…},"status":"…","type":"run_ended"}`; an end without a headline is left to `JSONDecoder`.
    static let endPrefix = Array(#"{"headline":"#.utf8)
    static let endStatus = Array(#","status":"#.utf8)
    static let endSuffix = Array(#","type":"run_ended"}"#.utf8)
    static let headlineFields = [
        "detect", "detect_objective", "detected_by", "forget_after_objective", "past_forget_after", "retention", "retention_objective", "rpo", "rpo_objective", "rto",
        "rto_objective", "scenario", "status", "window_newest_ns", "window_oldest_ns",
    ].map { Array($0.utf8) }
    static let spanFields = ["lower_ns", "ns", "resolution_ns", "resolution_source", "upper_ns"].map { Array($0.utf8) }
    static let objectiveFields = ["target_ns", "verdict"].map { Array($0.utf8) }

    /// `StepRef(text)`, from the text's bytes.
    mutating func stepRef(_ text: String) -> StepRef? {
        if ref != nil, text.utf8.elementsEqual(refText) { return ref }
        ref = StepRef(text)
        refText = Array(text.utf8)
        return ref
    }

    enum Kind: CaseIterable {
        case probeSampled, canaryWritten, guardSampled

        var suffix: [UInt8] {
            switch self {
            case .probeSampled: Self.probe
            case .canaryWritten: Self.canary
            case .guardSampled: Self.guardSuffix
            }
        }

        static let probe = Array(#","type":"probe_sampled"}"#.utf8)
        static let canary = Array(#","type":"canary_written"}"#.utf8)
        static let guardSuffix = Array(#","type":"guard_sampled"}"#.utf8)
    }

    /// What a sample's field holds, for the three kinds of sample.
    enum Role {
        case first, second, ref, report, started, ended
    }

    static func fields(_ fields: (String, Role)...) -> (names: [[UInt8]], roles: [Role]) {
        (fields.map { Array($0.0.utf8) }, fields.map(\.1))
    }
    static let probeFields = fields(("attempt", .first), ("endedAt", .ended), ("ref", .ref), ("report", .report), ("sample", .second),
                                    ("startedAt", .started))
    static let canaryFields = fields(("endedAt", .ended), ("report", .report), ("seq", .first), ("startedAt", .started))
    static let guardFields = fields(("endedAt", .ended), ("guardIndex", .first), ("report", .report), ("sample", .second),
                                    ("startedAt", .started))
    static let reportFields = ["exitStatus", "httpStatus", "stderr", "stdout", "summary", "terminationSignal", "verdict"].map { Array($0.utf8) }
    static let capturedFields = ["keptBytes", "text", "totalBytes"].map { Array($0.utf8) }
    static let instantFields = [Array("nanoseconds".utf8)]

    struct Reader {
        static let prefix = Array(#"{"payload":"#.utf8)

        let bytes: UnsafeBufferPointer<UInt8>
        let end: Int
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>, end: Int) {
            self.bytes = bytes
            self.end = end
        }

        mutating func byte(_ expected: UInt8) -> Bool {
            guard index < end, bytes[index] == expected else { return false }
            index += 1
            return true
        }

        mutating func literal(_ expected: [UInt8]) -> Bool {
            guard end - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else { return false }
            index += expected.count
            return true
        }

        /// An object's members, each key one of `names` and there once: `member` reads its value.
        /// The keys seen, as bits of their places in `names`; nil when the object is not so.
        mutating func members(_ names: [[UInt8]], _ member: (inout Reader, Int) -> Bool) -> UInt32? {
            guard byte(UInt8(ascii: "{")) else { return nil }
            var seen: UInt32 = 0
            if byte(UInt8(ascii: "}")) { return seen }
            repeat {
                // The keys of these types are plain words: no escapes to read.
                guard byte(UInt8(ascii: "\"")) else { return nil }
                let start = index
                while index < end, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
                let key = bytes[start..<index]
                guard byte(UInt8(ascii: "\"")), byte(UInt8(ascii: ":")),
                      let field = names.firstIndex(where: { key.elementsEqual($0) }), seen & (1 << field) == 0 else { return nil }
                seen |= 1 << field
                guard member(&self, field) else { return nil }
            } while byte(UInt8(ascii: ","))
            return byte(UInt8(ascii: "}")) ? seen : nil
        }

        static func all(_ count: Int) -> UInt32 { (1 << UInt32(count)) - 1 }

        mutating func payload(_ kind: Kind, refs: inout SampleJSON) -> DrillEvent? {
            let fields = switch kind {
            case .probeSampled: SampleJSON.probeFields
            case .canaryWritten: SampleJSON.canaryFields
            case .guardSampled: SampleJSON.guardFields
            }
            var first = 0, second = 0
            var ref: StepRef?
            var report: DriverReport?
            var started: DrillInstant?
            var ended: DrillInstant?
            guard members(fields.names, { reader, field in
                switch fields.roles[field] {
                case .first: reader.integer().map { first = $0 } != nil
                case .second: reader.integer().map { second = $0 } != nil
                case .ref: reader.string().flatMap { refs.stepRef($0) }.map { ref = $0 } != nil
                case .report: reader.report().map { report = $0 } != nil
                case .started: reader.instant().map { started = $0 } != nil
                case .ended: reader.instant().map { ended = $0 } != nil
                }
            }) == Self.all(fields.names.count), let report, let started, let ended else { return nil }
            switch kind {
            case .probeSampled:
                guard let ref else { return nil }
                return .probeSampled(ProbeSampled(ref: ref, attempt: first, sample: second, report: report, startedAt: started, endedAt: ended))
            case .canaryWritten:
                return .canaryWritten(CanaryWritten(seq: first, report: report, startedAt: started, endedAt: ended))
            case .guardSampled:
                return .guardSampled(GuardSampled(guardIndex: first, sample: second, report: report, startedAt: started, endedAt: ended))
            }
        }

        /// A `RunHeadline` as it encodes itself: scenario and status required, each figure optional.
        mutating func headline() -> RunHeadline? {
            var scenario: String?
            var status: RunStatus?
            var spans: [DrillMeasurement.Span?] = [nil, nil, nil, nil]
            var objectives: [DrillMeasurement.Objective?] = [nil, nil, nil, nil, nil]
            var numbers: [Int64?] = [nil, nil, nil]
            var detectedBy: String?
            guard let seen = members(SampleJSON.headlineFields, { reader, field in
                switch field {
                case 0: return reader.span().map { spans[0] = $0 } != nil
                case 1: return reader.objective().map { objectives[4] = $0 } != nil
                case 2: return reader.string().map { detectedBy = $0 } != nil
                case 3: return reader.objective().map { objectives[3] = $0 } != nil
                case 4: return reader.integer64().map { numbers[0] = $0 } != nil
                case 5: return reader.span().map { spans[3] = $0 } != nil
                case 6: return reader.objective().map { objectives[2] = $0 } != nil
                case 7: return reader.span().map { spans[1] = $0 } != nil
                case 8: return reader.objective().map { objectives[1] = $0 } != nil
                case 9: return reader.span().map { spans[2] = $0 } != nil
                case 10: return reader.objective().map { objectives[0] = $0 } != nil
                case 11: return reader.string().map { scenario = $0 } != nil
                case 12: return reader.string().flatMap(RunStatus.init(rawValue:)).map { status = $0 } != nil
                case 13: return reader.integer64().map { numbers[1] = $0 } != nil
                default: return reader.integer64().map { numbers[2] = $0 } != nil
                }
            }), seen & (1 << 11) != 0, seen & (1 << 12) != 0, let scenario, let status else { return nil }
            var headline = RunHeadline(scenario: scenario, status: status)
            headline.timeToDetect = spans[0]
            headline.rpo = spans[1]
            headline.rto = spans[2]
            headline.retention = spans[3]
            headline.rtoObjective = objectives[0]
            headline.rpoObjective = objectives[1]
            headline.retentionObjective = objectives[2]
            headline.forgetAfterObjective = objectives[3]
            headline.detectObjective = objectives[4]
            headline.detectedBy = detectedBy
            headline.pastForgetAfter = numbers[0].flatMap { Int(exactly: $0) }
            headline.windowNewestNs = numbers[1]
            headline.windowOldestNs = numbers[2]
            return headline
        }

        mutating func span() -> DrillMeasurement.Span? {
            var numbers: [Int64] = [0, 0, 0, 0]
            var source: String?
            guard members(SampleJSON.spanFields, { reader, field in
                switch field {
                case 3: return reader.string().map { source = $0 } != nil
                default: return reader.integer64().map { numbers[field == 4 ? 3 : field] = $0 } != nil
                }
            }) == Self.all(5), let source else { return nil }
            return .init(value: .init(nanoseconds: numbers[1]), lower: .init(nanoseconds: numbers[0]), upper: .init(nanoseconds: numbers[3]),
                         resolution: .init(nanoseconds: numbers[2]), resolutionSource: source)
        }

        mutating func objective() -> DrillMeasurement.Objective? {
            var target: Int64?
            var verdict: DrillMeasurement.Verdict?
            guard members(SampleJSON.objectiveFields, { reader, field in
                field == 0 ? reader.integer64().map { target = $0 } != nil
                    : reader.string().flatMap(DrillMeasurement.Verdict.init(rawValue:)).map { verdict = $0 } != nil
            }) == Self.all(2), let target, let verdict else { return nil }
            return .init(target: .init(nanoseconds: target), verdict: verdict)
        }

        mutating func instant() -> DrillInstant? {
            var nanoseconds: Int64?
            guard members(SampleJSON.instantFields, { reader, _ in
                nanoseconds = reader.integer64()
                return nanoseconds != nil
            }) == 1, let nanoseconds else { return nil }
            return DrillInstant(nanoseconds: nanoseconds)
        }

        mutating func report() -> DriverReport? {
            var report = DriverReport(verdict: .error, summary: "")
            let fields = SampleJSON.reportFields
            // summary and verdict are required; the rest is optional, and null is none.
            guard let seen = members(fields, { reader, field in
                switch field {
                case 0: return reader.optional { $0.integer32() }.map { report.exitStatus = $0 } != nil
                case 1: return reader.optional { $0.integer() }.map { report.httpStatus = $0 } != nil
                case 2: return reader.optional { $0.captured() }.map { report.stderr = $0 } != nil
                case 3: return reader.optional { $0.captured() }.map { report.stdout = $0 } != nil
                case 4: return reader.string().map { report.summary = $0 } != nil
                case 5: return reader.optional { $0.integer32() }.map { report.terminationSignal = $0 } != nil
                default: return reader.string().flatMap(DriverReport.Verdict.init(rawValue:)).map { report.verdict = $0 } != nil
                }
            }), seen & (1 << 4) != 0, seen & (1 << 6) != 0 else { return nil }
            return report
        }

        mutating func captured() -> CapturedOutput? {
            var kept = 0, total = 0
            var text: String?
            guard members(SampleJSON.capturedFields, { reader, field in
                switch field {
                case 0: reader.integer().map { kept = $0 } != nil
                case 1: reader.string().map { text = $0 } != nil
                default: reader.integer().map { total = $0 } != nil
                }
            }) == Self.all(3), let text else { return nil }
            return CapturedOutput(text: text, keptBytes: kept, totalBytes: total)
        }

        /// `null` as nil inside the result; nil when the value is neither null nor `read`'s.
        mutating func optional<T>(_ read: (inout Reader) -> T?) -> T?? {
            if literal(Self.null) { return .some(nil) }
            return read(&self).map { .some($0) }
        }

        static let null = Array("null".utf8)

        mutating func integer() -> Int? { integer64().flatMap { Int(exactly: $0) } }
        mutating func integer32() -> Int32? { integer64().flatMap { Int32(exactly: $0) } }

        /// `-?(0|[1-9][0-9]*)` within Int64, not followed by a fraction or an exponent.
        mutating func integer64() -> Int64? {
            let negative = byte(UInt8(ascii: "-"))
            let start = index
            var magnitude: UInt64 = 0
            while index < end, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (times, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, carried) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                guard !overflowed, !carried else { return nil }
                magnitude = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if index < end, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        /// A JSON string with its escapes; a raw control character or a lone surrogate is refused.
        mutating func string() -> String? {
            guard byte(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < end, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
            if byte(UInt8(ascii: "\"")) { return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]), as: UTF8.self) }
            var out = Array(bytes[start..<index])
            while index < end {
                let next = bytes[index]
                index += 1
                switch next {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < end else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard byte(UInt8(ascii: "\\")), byte(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: UTF8.encode(unicode)!)
                    default:
                        return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    out.append(next)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard end - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a")) + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A")) + 10
                default: return nil
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
