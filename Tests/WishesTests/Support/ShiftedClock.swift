import Foundation
import Wishes

/// The system clock moved by a fixed amount: how a test sees what a later tick would do.
struct ShiftedClock: WallClock {
    var seconds: TimeInterval
    var now: Date { Date().addingTimeInterval(seconds) }
}
