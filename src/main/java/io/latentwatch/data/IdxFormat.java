package io.latentwatch.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The IDX format of the original MNIST files, unsigned bytes only: magic {@code 00 00 08 n}, n big-endian int32
 * dimensions, then the values in row-major order. The dataset cache uses it so that the original
 * {@code *-idx3-ubyte} files (uncompressed) can stand in for the converted ones.
 */
final class IdxFormat {

    private static final int UBYTE = 0x08;

    private IdxFormat() {}

    /** The dimensions of a file and where its values start. */
    record Header(int[] dims, long dataOffset) {
        /** Values per item: the product of all dimensions but the first. */
        int itemSize() {
            int n = 1;
            for (int i = 1; i < dims.length; i++) {
                n *= dims[i];
            }
            return n;
        }

        int count() {
            return dims[0];
        }
    }

    /** Reads and checks the header, including that the file holds exactly the values it announces. */
    static Header header(FileChannel ch, Path file) throws IOException {
        ByteBuffer magic = read(ch, 0, 4, file);
        if (magic.get(0) != 0 || magic.get(1) != 0 || (magic.get(2) & 0xff) != UBYTE || magic.get(3) < 1) {
            throw new IOException(file + ": not an unsigned-byte IDX file (magic " + hex(magic) + ")");
        }
        int n = magic.get(3);
        ByteBuffer dimBytes = read(ch, 4, 4 * n, file);
        int[] dims = new int[n];
        long values = 1;
        for (int i = 0; i < n; i++) {
            dims[i] = dimBytes.getInt(4 * i);
            if (dims[i] < 0) {
                throw new IOException(file + ": negative dimension " + dims[i]);
            }
            values *= dims[i];
        }
        long offset = 4 + 4L * n;
        if (ch.size() != offset + values) {
            throw new IOException(file + ": dimensions " + Arrays.toString(dims) + " need " + (offset + values)
                    + " bytes, the file has " + ch.size() + " (truncated or not IDX)");
        }
        return new Header(dims, offset);
    }

    /** All values of a file. */
    static byte[] readAll(Path file, int expectedRank) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(ch, file);
            checkRank(h, expectedRank, file);
            long n = (long) h.count() * h.itemSize();
            if (n > Integer.MAX_VALUE) {
                throw new IOException(file + ": too large to load (" + n + " values)");
            }
            return read(ch, h.dataOffset(), (int) n, file).array();
        }
    }

    /**
     * The items with the given indices, in that order, itemSize values each; runs of consecutive indices are read
     * in one go.
     */
    static byte[] readItems(Path file, int expectedRank, int[] indices) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(ch, file);
            checkRank(h, expectedRank, file);
            int item = h.itemSize();
            byte[] out = new byte[Math.multiplyExact(indices.length, item)];
            int i = 0;
            while (i < indices.length) {
                int j = i + 1;
                while (j < indices.length && indices[j] == indices[j - 1] + 1) {
                    j++;
                }
                if (indices[i] < 0 || indices[j - 1] >= h.count()) {
                    throw new IndexOutOfBoundsException("item " + indices[i] + " of " + h.count() + " in " + file);
                }
                ByteBuffer run = read(ch, h.dataOffset() + (long) indices[i] * item, (j - i) * item, file);
                System.arraycopy(run.array(), 0, out, i * item, (j - i) * item);
                i = j;
            }
            return out;
        }
    }

    /** Writes values with the given dimensions. */
    static void write(Path file, int[] dims, byte[] values) throws IOException {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("dimensions " + Arrays.toString(dims) + " hold " + n + " values, got " + values.length);
        }
        ByteBuffer head = ByteBuffer.allocate(4 + 4 * dims.length);
        head.put((byte) 0).put((byte) 0).put((byte) UBYTE).put((byte) dims.length);
        for (int d : dims) {
            head.putInt(d);
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            ByteBuffer data = ByteBuffer.wrap(values);
            while (data.hasRemaining()) {
                ch.write(data);
            }
        }
    }

    private static void checkRank(Header h, int expectedRank, Path file) throws IOException {
        if (h.dims().length != expectedRank) {
            throw new IOException(file + ": expected " + expectedRank + " dimensions, found " + Arrays.toString(h.dims()));
        }
    }

    private static ByteBuffer read(FileChannel ch, long position, int length, Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new IOException(file + ": unexpected end of file at byte " + (position + buf.position()));
            }
        }
        buf.flip();
        return buf;
    }

    private static String hex(ByteBuffer b) {
        return String.format("%02x %02x %02x %02x", b.get(0), b.get(1), b.get(2), b.get(3));
    }
}
