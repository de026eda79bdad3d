package io.latentwatch.pipeline.kafka;

import java.util.Arrays;
import java.util.Base64;

/**
 * A compact JSON writer into a char array that is kept from record to record: what gson's {@code JsonWriter} over a
 * {@code StringWriter} wrote for the latents and alerts records, char for char, without its per-value costs (a
 * synchronised StringBuffer, a String and a boxed number per value, a stack of scopes). Strings are escaped as gson
 * escapes them ({@code "}, {@code \}, control characters, U+2028 and U+2029; not HTML-safe), doubles are
 * {@link Double#toString(double)} and floats {@link Float#toString(float)}'s text ({@link FloatText}); a non-finite
 * number is null.
 *
 * <p>Not thread-safe: one per thread ({@link #forThisThread()}), reset at every record.
 */
final class JsonText {

    private static final ThreadLocal<JsonText> PER_THREAD = ThreadLocal.withInitial(JsonText::new);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private char[] buf = new char[4096];
    private int len;
    /** Whether the next name or array element is preceded by a comma. */
    private boolean comma;

    private JsonText() {}

    /** This thread's writer, emptied. */
    static JsonText forThisThread() {
        JsonText t = PER_THREAD.get();
        t.len = 0;
        t.comma = false;
        return t;
    }

    JsonText beginObject() {
        ensure(1);
        buf[len++] = '{';
        comma = false;
        return this;
    }

    JsonText endObject() {
        ensure(1);
        buf[len++] = '}';
        comma = true;
        return this;
    }

    /** A member's name, taken as it is: the records' names are plain ASCII words. */
    JsonText name(String name) {
        int n = name.length();
        ensure(n + 4);
        if (comma) {
            buf[len++] = ',';
        }
        buf[len++] = '"';
        name.getChars(0, n, buf, len);
        len += n;
        buf[len++] = '"';
        buf[len++] = ':';
        comma = false;
        return this;
    }

    /** A string value, escaped as gson escapes it, or null. */
    JsonText value(String s) {
        if (s == null) {
            return nullValue();
        }
        int n = s.length();
        // at most 6 chars per char (backslash-u and 4 hex digits), and the quotes
        ensure(6 * n + 2);
        buf[len++] = '"';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\' && c != '\u2028' && c != '\u2029') {
                buf[len++] = c;
            } else {
                escape(c);
            }
        }
        buf[len++] = '"';
        comma = true;
        return this;
    }

    private void escape(char c) {
        buf[len++] = '\\';
        switch (c) {
            case '"' -> buf[len++] = '"';
            case '\\' -> buf[len++] = '\\';
            case '\t' -> buf[len++] = 't';
            case '\b' -> buf[len++] = 'b';
            case '\n' -> buf[len++] = 'n';
            case '\r' -> buf[len++] = 'r';
            case '\f' -> buf[len++] = 'f';
            default -> {
                buf[len++] = 'u';
                buf[len++] = HEX[(c >> 12) & 0xF];
                buf[len++] = HEX[(c >> 8) & 0xF];
                buf[len++] = HEX[(c >> 4) & 0xF];
                buf[len++] = HEX[c & 0xF];
            }
        }
    }

    JsonText value(long v) {
        return raw(Long.toString(v));
    }

    JsonText value(boolean v) {
        return raw(v ? "true" : "false");
    }

    /** {@link Double#toString(double)}, or null where v is not finite. */
    JsonText finiteOrNull(double v) {
        return Double.isFinite(v) ? raw(Double.toString(v)) : nullValue();
    }

    /** An array of floats, each {@link Float#toString(float)}'s text or null where it is not finite. */
    JsonText floats(float[] values) {
        // the longest a float is, and its comma
        ensure(2 + values.length * (FloatText.MAX_CHARS + 1));
        buf[len++] = '[';
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                buf[len++] = ',';
            }
            float v = values[i];
            if (Float.isFinite(v)) {
                len = FloatText.write(v, buf, len);
            } else {
                "null".getChars(0, 4, buf, len);
                len += 4;
            }
        }
        buf[len++] = ']';
        comma = true;
        return this;
    }

    /** An array of ints, or null. */
    JsonText ints(int[] values) {
        if (values == null) {
            return nullValue();
        }
        ensure(2 + values.length * 12); // the longest int and its comma
        buf[len++] = '[';
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                buf[len++] = ',';
            }
            String v = Integer.toString(values[i]);
            v.getChars(0, v.length(), buf, len);
            len += v.length();
        }
        buf[len++] = ']';
        comma = true;
        return this;
    }

    /** Bytes as a base64 string (RFC 4648, with padding: nothing in it to escape), or null. */
    JsonText base64(byte[] bytes) {
        if (bytes == null) {
            return nullValue();
        }
        byte[] text = Base64.getEncoder().encode(bytes);
        ensure(text.length + 2);
        buf[len++] = '"';
        for (byte b : text) {
            buf[len++] = (char) b;
        }
        buf[len++] = '"';
        comma = true;
        return this;
    }

    JsonText nullValue() {
        return raw("null");
    }

    private JsonText raw(String s) {
        int n = s.length();
        ensure(n);
        s.getChars(0, n, buf, len);
        len += n;
        comma = true;
        return this;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(2 * buf.length, len + more));
        }
    }

    @Override
    public String toString() {
        return new String(buf, 0, len);
    }
}
