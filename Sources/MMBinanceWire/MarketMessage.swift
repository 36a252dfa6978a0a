import CWireSIMD
import MMBook
import MMCore

/// A decoded Binance market-data message. Reused across messages as a scratch: decoding into it allocates
/// nothing once its level buffers have grown to the largest message seen.
public struct MarketMessage: Sendable {
    /// What the last decoded message was.
    public enum Kind: UInt8, Sendable, Hashable {
        /// `depthUpdate` diff, in `depth`.
        case depthUpdate
        /// Partial book (`@depth5/10/20`): a top-N snapshot, not a diff. Levels in `depth` (futures form) or
        /// `snapshot` (spot form with `lastUpdateId`).
        case partialDepth
        /// REST depth snapshot body, in `snapshot`.
        case depthSnapshot
        /// `bookTicker`, in `bookTicker`.
        case bookTicker
        /// `trade`, in `trade`.
        case trade
        /// `aggTrade`, in `trade` (tradeID is the aggregate ID).
        case aggTrade
        /// A well-formed message of another type (kline, markPrice, subscription reply, ...).
        case other
    }

    public var kind: Kind = .other
    public var depth: DepthUpdate
    public var snapshot: DepthSnapshot
    public var bookTicker = BookTicker()
    public var trade = Trade()
    /// Number shapes of the last levels read, which the next message's levels most likely share.
    @usableFromInline var shapes = MarketDecoder.LevelShapes()
    /// The envelope and symbol bytes of the last diff, which the next one most likely repeats.
    @usableFromInline var layout = MarketDecoder.DepthLayout()

    /// True when this machine reads diff headers and compact depth levels with vector instructions (x86-64
    /// with AVX2, BMI1 and BMI2); the word-at-a-time Swift readers serve otherwise.
    public static let vectorLevelsAvailable = mm_compact_levels_available()

    /// Whether this scratch's diffs are read with vector instructions (on by default where available;
    /// off, the Swift readers serve, which tests compare against).
    public var usesVectorLevels: Bool {
        get { shapes.vector }
        set { shapes.vector = newValue && Self.vectorLevelsAvailable }
    }

    /// Creates a scratch with room for `levelCapacity` diff levels and `snapshotCapacity` snapshot levels per side.
    public init(levelCapacity: Int = 256, snapshotCapacity: Int = 1024) {
        depth = DepthUpdate(levelCapacity: levelCapacity)
        snapshot = DepthSnapshot(levelCapacity: snapshotCapacity)
    }
}
