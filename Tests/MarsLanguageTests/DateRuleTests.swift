import Foundation
import MarsLanguage
import Testing

/// The cases of the reference server's `tests/unit/test_date_check.py`, on a fixed clock.
@Suite("Date match rules")
struct DateRuleTests {
    func passes(_ dates: [String], _ rules: [String]) throws -> Bool {
        try DateRule(rules).check(dates, now: fixedNow) == nil
    }

    @Test("single, list and range rules, relative or absolute")
    func marsRules() throws {
        #expect(try passes([day(-1)], ["-1"]))
        #expect(try !passes([day(-2)], ["-1"]))
        #expect(try passes([day(-1)], ["-1/-5/-10"]))
        #expect(try passes([day(-5)], ["-1/-5/-10"]))
        #expect(try !passes([day(-3)], ["-1/-5/-10"]))
        #expect(try passes([day(-1)], ["-1/to/-20"]))
        #expect(try passes([day(-10)], ["-1/to/-20"]))
        #expect(try passes([day(-20)], ["-1/to/-20"]))
        #expect(try !passes([day(0)], ["-1/to/-20"]))
        #expect(try !passes([day(-21)], ["-1/to/-20"]))
        #expect(try passes([day(-10)], ["-20/to/-1"]))
        #expect(try passes(["20250125"], ["20250125/-5/2023-04-23"]))
        #expect(try passes([day(-5)], ["20250125/-5/2023-04-23"]))
        #expect(try passes(["20230423"], ["20250125/-5/2023-04-23"]))
        #expect(try !passes(["20250126"], ["20250125/-5/2023-04-23"]))
    }

    @Test("several rules: each date must be covered by one of them")
    func orLogic() throws {
        let rules = ["-1/-5/-10", "-20/to/-30"]
        #expect(try passes([day(-1)], rules))
        #expect(try passes([day(-25)], rules))
        #expect(try !passes([day(-15)], rules))
        // An expanded range: every day must be allowed.
        #expect(try passes((5...10).map { day(-$0) }, ["-1/to/-20"]))
        #expect(try !passes((1...25).map { day(-$0) }, ["-1/to/-20"]))
        #expect(try !passes((1...10).map { day(-$0) }, ["-1/-5/-10"]))
        #expect(try passes([day(-5), day(-30)], ["-1/to/-20", "-30"]))
        #expect(try passes(["20240101", "20240831"], ["-1/to/-20", "2024-01-01/to/2024-12-31"]))
        #expect(try !passes([day(-5), day(30)], ["-1/to/-20", "2024-01-01/to/2024-12-31"]))
    }

    @Test("comparative rules: every date must satisfy all of them; a day counts from 00:00 UTC")
    func comparativeRules() throws {
        #expect(try passes([day(-32)], [">30d"]))
        #expect(try !passes([day(-5)], [">30d"]))
        #expect(try passes([day(-30)], [">30d"]))
        #expect(try !passes([day(-29)], [">30d"]))
        #expect(try passes([day(-32)], [">30d", "<40d"]))
        #expect(try !passes([day(-32)], [">30d", "<20d"]))
        #expect(try passes((40...60).map { day(-$0) }, [">30d"]))
        #expect(try !passes((25...60).map { day(-$0) }, [">30d"]))
        #expect(try passes([day(-39)], ["<40d"]))
        #expect(try !passes([day(-40)], ["<40d"]))
    }

    @Test("hours and minutes: now is 10:30, so today starts 10.5 hours ago")
    func hoursAndMinutes() throws {
        #expect(try passes([day(0)], ["<11h"]))
        #expect(try !passes([day(0)], ["<10h"]))
        #expect(try passes([day(0)], ["<631m"]))
        #expect(try !passes([day(0)], ["<629m"]))
        #expect(try passes([day(0)], [">10h"]))
        #expect(try !passes([day(0)], [">11h"]))
        #expect(try passes([day(-1)], [">1d10h"]))
        #expect(try !passes([day(-1)], [">1d11h"]))
    }

    @Test("reasons say which dates and what is allowed")
    func reasons() throws {
        #expect(
            try DateRule(">30d").check([day(-40), day(-5)], now: fixedNow)
                == "date \(day(-5)) is too recent: only dates older than 30 days (\(day(-30)) or earlier) are served here"
        )
        #expect(
            try DateRule(["<40d"]).check((41...48).map { day(-$0) }, now: fixedNow)
                == "dates \(day(-41)), \(day(-42)), \(day(-43)), \(day(-44)), \(day(-45)) and 3 more are too old: "
                + "only dates newer than 40 days (\(day(-39)) or later) are served here"
        )
        #expect(
            try DateRule(["-1/to/-20", "20250125"]).check(["20240105"], now: fixedNow)
                == "date 20240105 is not among the dates served here (\(day(-20)) to \(day(-1)), 20250125)"
        )
        #expect(try DateRule(">1d12h").check([day(0)], now: fixedNow)?.contains("older than 1 day 12 hours") == true)
        #expect(try DateRule(">30d").check(["notadate"], now: fixedNow) == "date 'notadate' is not a date")
        #expect(try DateRule(">30d").check(["2025-04-01", "-40"], now: fixedNow) == nil)
    }

    @Test(
        "rules that cannot be read are refused with the reason",
        arguments: [
            ([] as [String], "a date rule needs at least one rule, such as '>30d' or '-1/to/-20'"),
            ([">30d", "-1/to/-20"], "comparative date rules (such as '>30d') and dates (such as '-1/to/-20') cannot be mixed in one rule"),
            (["notadate"], "'notadate' in the date rule 'notadate' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as -1)"),
            (
                ["notadate/to/-20"],
                "'notadate' in the date rule 'notadate/to/-20' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as -1)"
            ),
            (
                ["-1/notadate/-10"],
                "'notadate' in the date rule '-1/notadate/-10' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as -1)"
            ),
            (["-4/to/-20/by/4"], "the date rule '-4/to/-20/by/4' is not valid: 'by' is not possible in date rules"),
            (["=30d"], "'=30d' in the date rule '=30d' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as -1)"),
            ([">30x"], "'>30x' is not a comparative date rule (expected > or < and an age such as 30d, 12h, 90m or 1d12h)"),
            ([">"], "'>' is not a comparative date rule (expected > or < and an age such as 30d, 12h, 90m or 1d12h)"),
            (["<d"], "'<d' is not a comparative date rule (expected > or < and an age such as 30d, 12h, 90m or 1d12h)"),
        ]
    )
    func unreadableRules(_ rules: [String], _ message: String) {
        #expect(throws: DateRuleError(message)) { try DateRule(rules) }
    }

    @Test("the rule keeps what was configured")
    func configuredText() throws {
        let rule = try DateRule([" >30d", "<2h "])
        #expect(rule.rules == [">30d", "<2h"])
        #expect(rule.comparisons == [.olderThan(seconds: 30 * 86_400), .newerThan(seconds: 7200)])
    }
}
