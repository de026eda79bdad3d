package io.latentwatch.frames;

import java.awt.image.BufferedImage;
import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads encoded images safely: only PNG, JPEG and BMP readers are used (ImageIO would also take GIF, TIFF and WBMP),
 * width and height come from the header and are checked against a {@link PixelBudget} before any pixel is decoded,
 * and an image much larger than the size it is wanted at is decoded subsampled, so that a small file declaring a
 * huge image costs neither the memory nor the time of its pixels.
 *
 * <p>Subsampling keeps every k-th pixel in both directions (k = {@link #subsampling}), leaving at least twice the
 * target size on the shorter side for the resize that follows; an image up to 4 × the target size is decoded whole,
 * so frames at the model's size decode exactly as they would without it.
 */
public final class ImageReading {

    /** 4096 × 4096: a 16-megapixel camera frame; decoded whole as 8-bit RGB it takes 64 MB. */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096;

    /** The CLI's flag that sets the budget. */
    public static final String CLI_FLAG = "--max-pixels";

    /** For messages: the formats read. */
    public static final String FORMATS = "PNG, JPEG or BMP";

    private static final Set<String> READ = Set.of("png", "jpeg", "bmp");

    private ImageReading() {}

    /**
     * The most pixels (width × height, from the header) an image may have, and the setting that sets it, which a
     * refusal names so that the user knows what to change.
     */
    public record PixelBudget(long maxPixels, String setting) implements Serializable {
        public PixelBudget {
            Objects.requireNonNull(setting, "setting");
            if (maxPixels < 1) {
                throw new IllegalArgumentException(setting + " must be positive, got " + maxPixels);
            }
        }

        /** The budget the CLI's {@value #CLI_FLAG} sets. */
        public static PixelBudget cli(long maxPixels) {
            return new PixelBudget(maxPixels, CLI_FLAG);
        }

        /** {@link #DEFAULT_MAX_PIXELS}, set by {@value #CLI_FLAG}. */
        public static PixelBudget cliDefault() {
            return cli(DEFAULT_MAX_PIXELS);
        }
    }

    /** An image whose header declares more pixels than the budget allows; nothing of it was decoded. */
    public static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /**
     * Opens an image held in memory and reads its header.
     *
     * @throws IOException "empty image (0 bytes)", "not an image ...", "not a PNG, JPEG or BMP image (GIF)" or
     *     "undecodable image: ..." (the header could not be read)
     */
    public static Opened open(byte[] bytes) throws IOException {
        if (bytes == null || bytes.length == 0) {
            throw new IOException("empty image (0 bytes)");
        }
        // explicitly in memory (ImageIO.createImageInputStream may cache through temporary files), and read where the
        // bytes are rather than copied into a cache first
        return open(new ByteArrayImageInputStream(bytes));
    }

    /**
     * Opens an image file and reads its header; only the header is read.
     *
     * @throws java.nio.file.NoSuchFileException, AccessDeniedException if the file cannot be opened
     * @throws IOException as {@link #open(byte[])}
     */
    public static Opened open(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw Files.exists(file) ? new AccessDeniedException(file.toString()) : new NoSuchFileException(file.toString());
        }
        if (Files.size(file) == 0) {
            throw new IOException("empty image (0 bytes)");
        }
        return open(new FileImageInputStream(file.toFile()));
    }

    /**
     * An image decoded, and what it was decoded from: every {@code period}-th pixel, in both directions, of a
     * sourceWidth × sourceHeight image, from the {@code period / 2}-th (period 1: the whole image).
     */
    public record Decoded(BufferedImage image, int sourceWidth, int sourceHeight, int period) {

        /**
         * Model input, channels × size × size values at {@code offset}: as {@link ImageFrames#normalise} gives for the
         * whole image, interpolated at the same points of the source image (exactly that when period is 1).
         */
        public void normalise(int channels, int size, float[] out, int offset) {
            ImageFrames.normalise(image, channels, size, out, offset, sourceWidth, sourceHeight, period);
        }

        /** Model input as a new array. */
        public float[] normalise(int channels, int size) {
            float[] out = new float[channels * size * size];
            normalise(channels, size, out, 0);
            return out;
        }
    }

    /** Reads an image within the budget, subsampled for {@code targetSize} (0: whole); see {@link Opened#decode}. */
    public static Decoded read(byte[] bytes, PixelBudget budget, int targetSize) throws IOException {
        try (Opened image = open(bytes)) {
            image.check(budget);
            return image.decode(targetSize);
        }
    }

    /** Reads an image file within the budget, subsampled for {@code targetSize} (0: whole). */
    public static Decoded read(Path file, PixelBudget budget, int targetSize) throws IOException {
        try (Opened image = open(file)) {
            image.check(budget);
            return image.decode(targetSize);
        }
    }

    /**
     * The subsampling period for an image of w × h wanted at size × size: max(1, min(w, h) / (2 size)), so the shorter
     * side keeps at least 2 size pixels; 1 for size ≤ 0 (the image is wanted whole).
     */
    public static int subsampling(int w, int h, int size) {
        if (size <= 0) {
            return 1;
        }
        return Math.max(1, Math.min(w, h) / (2 * size));
    }

    private static Opened open(ImageInputStream in) throws IOException {
        ImageReader chosen = null;
        String other = null;
        try {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            while (readers.hasNext()) {
                ImageReader r = readers.next();
                String format = formatOf(r.getOriginatingProvider());
                if (chosen == null && READ.contains(format)) {
                    chosen = r;
                } else {
                    other = other == null ? format : other;
                    r.dispose();
                }
            }
        } catch (RuntimeException e) {
            in.close();
            throw undecodable(e);
        }
        if (chosen == null) {
            in.close();
            throw new IOException(other == null ? "not an image (not " + FORMATS + " data)"
                    : "not a " + FORMATS + " image (" + other.toUpperCase(Locale.ROOT) + ")");
        }
        try {
            chosen.setInput(in, true, true);
            return new Opened(in, chosen);
        } catch (IOException | RuntimeException e) {
            chosen.dispose();
            in.close();
            throw undecodable(e);
        }
    }

    private static IOException undecodable(Exception e) {
        return new IOException("undecodable image: " + describe(e), e);
    }

    /**
     * Why an image could not be read or converted, in one line for a user: an IOException's message, "out of memory
     * ..." for an OutOfMemoryError, else the exception's type and message.
     */
    public static String reason(Throwable t) {
        if (t instanceof OutOfMemoryError) {
            return "out of memory decoding it (" + describe(t) + "); a lower pixel limit or a larger heap (-Xmx) avoids that";
        }
        if (t instanceof IOException && t.getMessage() != null && !t.getMessage().isBlank()) {
            return t.getMessage();
        }
        return describe(t);
    }

    /**
     * The message, and its cause's where it adds something: readers wrap what went wrong ("Caught exception during
     * read: ", "Error reading PNG image data") and say the useful part in the cause.
     */
    private static String describe(Throwable e) {
        String m = message(e);
        Throwable c = e.getCause();
        if (c != null && c != e && (c.getMessage() == null || !m.contains(c.getMessage()))) {
            m = m.replaceAll("[:\\s]+$", "") + ": " + message(c);
        }
        return m;
    }

    private static String message(Throwable e) {
        String m = e.getMessage() == null || e.getMessage().isBlank() ? "" : e.getMessage().strip();
        if (e instanceof Error || m.isEmpty()) {
            return e.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m);
        }
        return m;
    }

    /** png, jpeg or bmp for the readers used; otherwise the provider's first format name, lower case. */
    private static String formatOf(ImageReaderSpi spi) {
        if (spi == null) {
            return "unknown";
        }
        String[] names = spi.getFormatNames();
        for (String n : names) {
            String f = n.toLowerCase(Locale.ROOT).equals("jpg") ? "jpeg" : n.toLowerCase(Locale.ROOT);
            if (READ.contains(f)) {
                return f;
            }
        }
        return names.length == 0 ? "unknown" : names[0].toLowerCase(Locale.ROOT);
    }

    /** An image whose header has been read and whose pixels have not; close it (or decode, then close). */
    public static final class Opened implements Closeable {
        private final ImageInputStream in;
        private final ImageReader reader;
        private final String format;
        private final int width;
        private final int height;

        private Opened(ImageInputStream in, ImageReader reader) throws IOException {
            this.in = in;
            this.reader = reader;
            this.format = formatOf(reader.getOriginatingProvider());
            this.width = reader.getWidth(0);
            this.height = reader.getHeight(0);
        }

        /** png, jpeg or bmp. */
        public String format() {
            return format;
        }

        public int width() {
            return width;
        }

        public int height() {
            return height;
        }

        /** width × height, without int overflow. */
        public long pixels() {
            return (long) width * height;
        }

        /**
         * Bands of the image as {@link #decode} returns it (1 for gray and palette images, 2 for gray with alpha, 3 or
         * 4 for colour), read from the header.
         *
         * @throws IOException "undecodable image: ..." if the header does not say
         */
        public int bands() throws IOException {
            try {
                Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
                if (types == null || !types.hasNext()) {
                    throw new IOException("no image type in the header");
                }
                return types.next().getNumBands();
            } catch (IOException | RuntimeException e) {
                throw undecodable(e);
            }
        }

        /**
         * Checks the header's size against the budget.
         *
         * @throws TooLarge "image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (SETTING)"
         * @throws IOException "image has no pixels (0x5)"
         */
        public void check(PixelBudget budget) throws IOException {
            if (pixels() > budget.maxPixels()) {
                throw new TooLarge("image too large: " + width + "x" + height + " pixels (" + pixels() + "), the limit is "
                        + budget.maxPixels() + " pixels (" + budget.setting() + ")");
            }
            if (width < 1 || height < 1) {
                throw new IOException("image has no pixels (" + width + "x" + height + ")");
            }
        }

        /**
         * Decodes the pixels, every {@link #subsampling subsampling(w, h, targetSize)}-th pixel in each direction
         * (the middle one of each block). Call {@link #check} first: this decodes whatever the header declares.
         *
         * @param targetSize the side the image is wanted at (it is resized afterwards), or 0 for the whole image
         * @throws IOException "undecodable image: ..." for broken or truncated data
         */
        public Decoded decode(int targetSize) throws IOException {
            int k = subsampling(width, height, targetSize);
            try {
                ImageReadParam param = reader.getDefaultReadParam();
                if (k > 1) {
                    // offset k / 2: each kept pixel is the middle of its k × k block, so the picture does not shift
                    param.setSourceSubsampling(k, k, k / 2, k / 2);
                }
                return new Decoded(reader.read(0, param), width, height, k);
            } catch (IOException | RuntimeException e) {
                throw undecodable(e);
            }
        }

        @Override
        public void close() throws IOException {
            reader.dispose();
            in.close();
        }
    }
}
