package io.latentwatch.pipeline.kafka;

import java.math.BigInteger;

/**
 * {@link Float#toString(float)}'s text of a finite float, written into a char array without a String, a boxed Float or
 * the JDK's general double-precision machinery: the latents records carry 256 floats each, and formatting them was
 * most of the fifth of the job's CPU that serialising its output took.
 *
 * <p>The digits are those of the Schubfach algorithm (R. Giulietti, "The Schubfach way to render doubles", 2020), which
 * is what {@code Float.toString} computes from JDK 19 on: the shortest decimal that reads back as the float (at least
 * two digits), the one nearest the float among those. JDK 17's {@code Float.toString} (FloatingDecimal) gives another
 * text for a few floats: for those {@link #write} hands over to {@code Float.toString} itself (see {@link
 * #legacyDiffers}), so that the text is {@code Float.toString}'s of the JDK the job runs on, on 17 as on 19 and later.
 * FloatTextTest compares it with {@code Float.toString} for many floats; FloatTextExhaustiveCheck, for all of them.
 */
final class FloatText {

    /** The most chars {@link #write} writes: "-1.17549435E-38". */
    static final int MAX_CHARS = 15;

    private static final int P = 24; // significand bits, the hidden one included
    private static final int Q_MIN = -149; // exponent of the subnormals' unit
    private static final int C_MIN = 1 << (P - 1);
    /** Subnormal significands below this are scaled by 10 first, so that two digits stay close to the float. */
    private static final int C_TINY = 8;
    private static final int K_MIN = -45;
    private static final int K_MAX = 31;
    private static final long MASK_32 = 0xFFFF_FFFFL;

    /**
     * g(k) = floor(10^-k 2^(62 - floor(log2 10^-k))) + 1 for K_MIN ≤ k ≤ K_MAX: 10^-k to 63 bits, rounded up. Computed
     * once, exactly, rather than written out as a table of magic numbers.
     */
    private static final long[] G = new long[K_MAX - K_MIN + 1];

    /** Whether the JDK's Float.toString is the pre-19 FloatingDecimal one. */
    private static final boolean LEGACY = Runtime.version().feature() < 19;

    static {
        for (int k = K_MIN; k <= K_MAX; k++) {
            int r = flog2pow10(-k);
            BigInteger num = BigInteger.ONE;
            BigInteger den = BigInteger.ONE;
            BigInteger ten = BigInteger.TEN.pow(Math.abs(k));
            if (k <= 0) {
                num = ten;
            } else {
                den = ten;
            }
            int shift = 62 - r;
            if (shift >= 0) {
                num = num.shiftLeft(shift);
            } else {
                den = den.shiftLeft(-shift);
            }
            G[k - K_MIN] = num.divide(den).longValueExact() + 1;
        }
    }

    private FloatText() {}

    /**
     * Writes {@code Float.toString(v)} at {@code buf[pos]} and returns the position after it; {@code buf} must have
     * {@link #MAX_CHARS} chars from {@code pos}.
     *
     * @param v a finite float (the JSON has no text for NaN or the infinities)
     */
    static int write(float v, char[] buf, int pos) {
        int bits = Float.floatToRawIntBits(v);
        if (bits < 0) {
            buf[pos++] = '-';
        }
        int t = bits & (C_MIN - 1);
        int bq = (bits >>> (P - 1)) & 0xFF;
        if (bq == 0xFF) {
            throw new IllegalArgumentException("not finite: " + v);
        }
        if (bq == 0 && t == 0) {
            buf[pos] = '0';
            buf[pos + 1] = '.';
            buf[pos + 2] = '0';
            return pos + 3;
        }
        if (LEGACY && legacyDiffers(bits & 0x7FFF_FFFF)) {
            String s = Float.toString(Math.abs(v));
            s.getChars(0, s.length(), buf, pos);
            return pos + s.length();
        }
        long decimal;
        if (bq != 0) {
            int mq = -Q_MIN + 1 - bq; // -q
            int c = C_MIN | t;
            // an integer below 2^24 is its own shortest decimal
            if (0 < mq && mq < P && (c >> mq) << mq == c) {
                return chars(c >> mq, 0, buf, pos);
            }
            decimal = toDecimal(-mq, c, 0);
        } else {
            decimal = t < C_TINY ? toDecimal(Q_MIN, 10 * t, -1) : toDecimal(Q_MIN, t, 0);
        }
        return chars((int) (decimal >>> 32), (int) decimal, buf, pos);
    }

    /**
     * The decimal f × 10^e of the float c × 2^q, packed as f in the high and e in the low 32 bits: Schubfach's choice
     * among the decimals in the float's rounding interval. {@code dk} is added to e (−1 where c was scaled by 10).
     */
    private static long toDecimal(int q, int c, int dk) {
        // the rounding interval is closed for an even significand (ties to even read back to it), open for an odd one
        int out = c & 0x1;
        long cb = (long) c << 2;
        long cbr = cb + 2;
        long cbl;
        int k;
        if (c != C_MIN || q == Q_MIN) {
            cbl = cb - 2;
            k = flog10pow2(q);
        } else {
            // a power of two: the float below is nearer than the one above
            cbl = cb - 1;
            k = flog10threeQuartersPow2(q);
        }
        int h = q + flog2pow10(-k) + 33;
        long g = G[k - K_MIN];
        // 4 × the interval's bounds and the float, times 10^-k, rounded to odd: exact enough for every comparison below
        int vb = rop(g, cb << h);
        int vbl = rop(g, cbl << h);
        int vbr = rop(g, cbr << h);

        int s = vb >> 2;
        if (s >= 100) {
            // one digit fewer: a multiple of ten, if only one of the two around the float is in the interval
            int sp10 = 10 * (int) (s * 1_717_986_919L >>> 34);
            int tp10 = sp10 + 10;
            boolean upin = vbl + out <= sp10 << 2;
            boolean wpin = (tp10 << 2) + out <= vbr;
            if (upin != wpin) {
                return pack(upin ? sp10 : tp10, k);
            }
        }
        int tt = s + 1;
        boolean uin = vbl + out <= s << 2;
        boolean win = (tt << 2) + out <= vbr;
        if (uin != win) {
            return pack(uin ? s : tt, k + dk);
        }
        // both read back: the nearer, or the even one of a tie
        long cmp = vb - ((long) (s + tt) << 1);
        return pack(cmp < 0 || cmp == 0 && (s & 0x1) == 0 ? s : tt, k + dk);
    }

    private static long pack(int f, int e) {
        return ((long) f << 32) | (e & MASK_32);
    }

    /** g × cp / 2^95, rounded to odd. */
    private static int rop(long g, long cp) {
        long x1 = Math.multiplyHigh(g, cp);
        long vbp = x1 >>> 31;
        return (int) (vbp | ((x1 & MASK_32) + MASK_32) >>> 32);
    }

    /**
     * Writes f × 10^e as Float.toString does: trailing zeros dropped, at least one digit after the point, plain for
     * 10^-3 ≤ |v| < 10^7 and computerised scientific notation (1.0E10, 1.4E-45) otherwise.
     */
    private static int chars(int f, int e, char[] buf, int pos) {
        while (f % 10 == 0) {
            f /= 10;
            e++;
        }
        int len = digits(f);
        int exp = e + len - 1; // the leading digit's power of ten
        if (exp >= 0 && exp < 7) {
            int point = exp + 1;
            if (len <= point) {
                // an integer: its digits, the zeros up to the point, ".0"
                pos = digits(f, len, len, buf, pos);
                for (int i = len; i < point; i++) {
                    buf[pos++] = '0';
                }
                buf[pos] = '.';
                buf[pos + 1] = '0';
                return pos + 2;
            }
            return digits(f, len, point, buf, pos);
        }
        if (exp < 0 && exp >= -3) {
            buf[pos++] = '0';
            buf[pos++] = '.';
            for (int i = -1; i > exp; i--) {
                buf[pos++] = '0';
            }
            return digits(f, len, len, buf, pos);
        }
        if (len == 1) {
            buf[pos++] = (char) ('0' + f);
            buf[pos++] = '.';
            buf[pos++] = '0';
        } else {
            pos = digits(f, len, 1, buf, pos);
        }
        buf[pos++] = 'E';
        if (exp < 0) {
            buf[pos++] = '-';
            exp = -exp;
        }
        if (exp >= 10) {
            buf[pos++] = (char) ('0' + exp / 10);
        }
        buf[pos++] = (char) ('0' + exp % 10);
        return pos;
    }

    /** Writes the len digits of f with a point after the first {@code point} of them (none where point is len). */
    private static int digits(int f, int len, int point, char[] buf, int pos) {
        int end = pos + len + (point < len ? 1 : 0);
        int i = end;
        for (int d = len - 1; d >= 0; d--) {
            if (d == point - 1 && point < len) {
                buf[--i] = '.';
            }
            buf[--i] = (char) ('0' + f % 10);
            f /= 10;
        }
        return end;
    }

    private static int digits(int f) {
        int len = 1;
        for (int x = f; x >= 10; x /= 10) {
            len++;
        }
        return len;
    }

    /**
     * Whether JDK 17's Float.toString may give another text than Schubfach's for this positive float (its raw bits).
     * Comparing all floats, FloatingDecimal differs in three ways, all far from what latents are: from 2^24 (1.6E7)
     * on it writes some floats with more digits than needed ("3.31227872E8" for 3.3122787E8) or another last digit
     * ("9.5826275E24" for 9.5826276E24); where the significand is a power of two (the fraction bits of a normal float
     * are 0, or a subnormal has one bit set) it narrows the rounding interval on both sides, and sometimes writes more
     * digits; and for the smallest subnormals (below 128 × 2^-149, about 1.8E-43) it takes a one-digit decimal where
     * Schubfach takes the nearer two-digit one ("1.0E-43" for 9.9E-44). Everything else, it writes as Schubfach does.
     */
    static boolean legacyDiffers(int bits) {
        int t = bits & (C_MIN - 1);
        int bq = bits >>> (P - 1);
        if (bq != 0) {
            return t == 0 || bq - 127 >= P;
        }
        return t < 128 || (t & (t - 1)) == 0;
    }

    /** floor(q log10 2), for |q| ≤ 1000 or so. */
    static int flog10pow2(int q) {
        return (int) (q * 661_971_961_083L >> 41);
    }

    /** floor(log10(3/4 × 2^q)). */
    static int flog10threeQuartersPow2(int q) {
        return (int) (q * 661_971_961_083L - 274_743_187_321L >> 41);
    }

    /** floor(e log2 10). */
    static int flog2pow10(int e) {
        return (int) (e * 913_124_641_741L >> 38);
    }
}
