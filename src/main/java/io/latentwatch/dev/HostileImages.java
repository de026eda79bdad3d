package io.latentwatch.dev;

import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/**
 * Images that attack a decoder, for the tests and {@code benchmark faults}: valid PNG files of all-black pixels declaring a huge size (a "pixel bomb": 30000 ×
 * 30000 is 870 KB on disk and 900 MB to 2.7 GB decoded), and images in formats latentwatch must not read.
 *
 * <p>The bombs are written without ever holding their pixels or their inflated rows: the zlib stream of h rows of
 * zeros (filter byte 0 and w × bands zero samples) is one raw-deflated megabyte of zeros, ended by a full flush so
 * that it references nothing before it, repeated as often as needed, then a final block for the rest and the
 * Adler-32 of the zeros, which is (length mod 65521) &lt;&lt; 16 | 1.
 */
public final class HostileImages {

    private static final int CHUNK = 1 << 20;
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private HostileImages() {}

    /**
     * Writes a valid 8-bit PNG of w × h black pixels.
     *
     * @param rgb colour type 2 (RGB) when true, else 0 (gray)
     */
    public static Path blackPng(Path file, int w, int h, boolean rgb) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            blackPng(out, w, h, rgb);
        }
        return file;
    }

    /** The same, in memory: for small bombs (500 × 500 is 1 KB) to send as a record's value. */
    public static byte[] blackPng(int w, int h, boolean rgb) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        blackPng(bytes, w, h, rgb);
        return bytes.toByteArray();
    }

    private static void blackPng(OutputStream stream, int w, int h, boolean rgb) throws IOException {
        int bands = rgb ? 3 : 1;
        long inflated = (long) h * (1 + (long) w * bands);
        byte[] chunk = rawDeflatedZeros(CHUNK, false);
        long copies = inflated / CHUNK;
        byte[] rest = rawDeflatedZeros((int) (inflated % CHUNK), true);
        long idatLength = 2 + copies * chunk.length + rest.length + 4;
        if (idatLength > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the IDAT chunk would be too long for one chunk: " + idatLength);
        }
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
        out.write(SIGNATURE);
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.writeByte(8); // bit depth
        d.writeByte(rgb ? 2 : 0); // colour type
        d.writeByte(0); // deflate
        d.writeByte(0); // adaptive filtering
        d.writeByte(0); // not interlaced
        chunk(out, "IHDR", ihdr.toByteArray());

        CRC32 crc = new CRC32();
        out.writeInt((int) idatLength);
        byte[] type = "IDAT".getBytes(StandardCharsets.US_ASCII);
        write(out, crc, type);
        write(out, crc, new byte[] {0x78, (byte) 0x9c}); // zlib header: deflate, 32K window, default level
        for (long i = 0; i < copies; i++) {
            write(out, crc, chunk);
        }
        write(out, crc, rest);
        int adler = (int) ((inflated % 65521) << 16 | 1);
        write(out, crc, new byte[] {(byte) (adler >>> 24), (byte) (adler >>> 16), (byte) (adler >>> 8), (byte) adler});
        out.writeInt((int) crc.getValue());

        chunk(out, "IEND", new byte[0]);
        out.flush();
    }

    /**
     * Writes the headers of an 8-bit gray-palette BMP of w × h pixels and no pixel data. Decoded, it asks for a
     * w × h byte raster first: for 2147483647 × 1 that is an array longer than the JVM allows, an OutOfMemoryError
     * ("Requested array size exceeds VM limit") thrown at once, without taking any memory.
     */
    public static Path bmpHeaders(Path file, int w, int h) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 256 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(b.capacity()); // file header: size, offset of the pixels
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 8); // info header: planes, bits per pixel
        b.putInt(0).putInt(0).putInt(2835).putInt(2835).putInt(256).putInt(0); // uncompressed, 72 dpi, 256 colours
        for (int i = 0; i < 256; i++) {
            b.put((byte) i).put((byte) i).put((byte) i).put((byte) 0);
        }
        return Files.write(file, b.array());
    }

    /** A small GIF, a format ImageIO reads and latentwatch refuses. */
    public static Path gif(Path file) throws IOException {
        return write(file, "gif");
    }

    /** A small TIFF, a format ImageIO reads and latentwatch refuses. */
    public static Path tiff(Path file) throws IOException {
        return write(file, "tiff");
    }

    /** A small GIF in memory. */
    public static byte[] gif() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY), "gif", bytes)) {
            throw new IllegalStateException("this Java runtime writes no gif");
        }
        return bytes.toByteArray();
    }

    private static Path write(Path file, String format) throws IOException {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        if (!ImageIO.write(img, format, file.toFile())) {
            throw new IllegalStateException("this Java runtime writes no " + format);
        }
        return file;
    }

    /** {@code n} zeros raw-deflated (no zlib header): non-final blocks ending in a full flush, or the final block. */
    private static byte[] rawDeflatedZeros(int n, boolean last) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(new byte[n]);
            if (last) {
                deflater.finish();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (true) {
                int k = last ? deflater.deflate(buf) : deflater.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH);
                out.write(buf, 0, k);
                if (last ? deflater.finished() : k < buf.length && deflater.needsInput()) {
                    break;
                }
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        out.writeInt(data.length);
        write(out, crc, type.getBytes(StandardCharsets.US_ASCII));
        write(out, crc, data);
        out.writeInt((int) crc.getValue());
    }

    private static void write(OutputStream out, CRC32 crc, byte[] bytes) throws IOException {
        out.write(bytes);
        crc.update(bytes);
    }
}
