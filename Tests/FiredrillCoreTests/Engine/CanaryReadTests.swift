import FiredrillCore
import Testing

/// `read`'s output gives the highest surviving sequence number as its last integer.
@Test(arguments: [
    ("42", 42), ("latest 3\n", 3), ("seq=7 of 9 total", 9), ("", nil), ("none yet", nil), ("v2: 15.", 15),
] as [(String, Int?)])
func lastIntegerOfTheReadOutput(text: String, expected: Int?) {
    #expect(CanaryRead.lastInteger(in: text) == expected)
}
