import Foundation
import Wishes

@testable import WishesAWS

/// The system clock moved by a fixed amount: how a test sees what a later tick would do.
struct ShiftedClock: WallClock {
    var seconds: TimeInterval
    var now: Date { Date().addingTimeInterval(seconds) }
}
