import FiredrillCore
import Testing

/// `read`'s output gives the highest surviving sequence number as its last integer.
@Test(arguments: [
    ("42", 42), ("latest 3\n", 3), ("seq=7 of 9 total", 9), ("", nil), ("none yet", nil), ("v2: 15.", 15),
    // Negative numbers and decimals are not sequence numbers, nor are their digits.
    ("-5", nil), ("seq -2", nil), ("2.5", nil), ("version 1.2 seq=nothing", nil), ("3 then -1", 3), ("at 1796138325.08: 42", 42),
] as [(String, Int?)])
func lastIntegerOfTheReadOutput(text: String, expected: Int?) {
    #expect(CanaryRead.lastInteger(in: text) == expected)
}
