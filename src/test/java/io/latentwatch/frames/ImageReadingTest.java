package io.latentwatch.frames;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.InflaterInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only PNG, JPEG and BMP, a pixel budget checked from the header, and subsampled decoding of far larger images. */
class ImageReadingTest {

    @TempDir Path dir;

    private static final ImageReading.PixelBudget DEFAULT = ImageReading.PixelBudget.cliDefault();

    @Test
    void pixelBombsAreRefusedFromTheirHeaderNamingTheSizeAndTheLimit() throws IOException {
        for (boolean rgb : new boolean[] {false, true}) {
            Path bomb = HostileImages.blackPng(dir.resolve("bomb-" + rgb + ".png"), 30000, 30000, rgb);
            assertTrue(Files.size(bomb) < 3_000_000, "a small file: " + Files.size(bomb));
            ImageReading.TooLarge e = assertThrows(ImageReading.TooLarge.class, () -> ImageReading.read(bomb, DEFAULT, 32));
            assertEquals("image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (--max-pixels)", e.getMessage());
            e = assertThrows(ImageReading.TooLarge.class,
                    () -> ImageReading.read(Files.readAllBytes(bomb), new ImageReading.PixelBudget(1_000_000, "latentwatch.frames.max-pixels"), 0));
            assertEquals("image too large: 30000x30000 pixels (900000000), the limit is 1000000 pixels (latentwatch.frames.max-pixels)", e.getMessage());
        }
    }

    @Test
    void theBombsAreValidPngs() throws IOException {
        // what the refusals above are worth rests on this: a reader without a budget would decode every pixel
        Path small = HostileImages.blackPng(dir.resolve("small.png"), 3000, 200, true);
        BufferedImage img = ImageIO.read(small.toFile());
        assertEquals(3000, img.getWidth());
        assertEquals(200, img.getHeight());
        assertEquals(0xff000000, img.getRGB(2999, 199));
        // the zlib stream inflates to exactly the rows, and its Adler-32 checks (the inflater verifies it at the end)
        try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(idat(Files.readAllBytes(small))))) {
            assertEquals(200L * (1 + 3000 * 3), in.transferTo(OutputStream.nullOutputStream()));
        }
    }

    @Test
    void otherFormatsThanPngJpegAndBmpAreRefused() throws IOException {
        assertEquals("not a PNG, JPEG or BMP image (GIF)", refusal(HostileImages.gif(dir.resolve("a.gif"))));
        assertEquals("not a PNG, JPEG or BMP image (TIF)", refusal(HostileImages.tiff(dir.resolve("a.png")))); // the name does not matter
        BufferedImage binary = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_BINARY);
        assertTrue(ImageIO.write(binary, "wbmp", dir.resolve("a.wbmp").toFile()));
        assertEquals("not a PNG, JPEG or BMP image (WBMP)", refusal(dir.resolve("a.wbmp")));
        assertEquals("not an image (not PNG, JPEG or BMP data)", refusal(Files.writeString(dir.resolve("t.png"), "hello")));
        assertEquals("empty image (0 bytes)", refusal(Files.write(dir.resolve("e.png"), new byte[0])));
        IOException e = assertThrows(IOException.class, () -> ImageReading.read("hello".getBytes(StandardCharsets.UTF_8), DEFAULT, 0));
        assertEquals("not an image (not PNG, JPEG or BMP data)", e.getMessage());
    }

    @Test
    void pngJpegAndBmpAreRead() throws IOException {
        BufferedImage frame = SyntheticCamera.builder().imageSize(24).channels(3).build().frame(0).image();
        byte[][] encoded = {ImageEncoding.png(frame), ImageEncoding.jpeg(frame, 0.9f), ImageEncoding.bmp(frame)};
        String[] formats = {"png", "jpeg", "bmp"};
        for (int i = 0; i < encoded.length; i++) {
            try (ImageReading.Opened img = ImageReading.open(encoded[i])) {
                assertEquals(formats[i], img.format());
                assertEquals(24, img.width());
                assertEquals(24, img.height());
                assertEquals(3, img.bands());
                assertEquals(24, img.decode(24).image().getWidth());
            }
        }
    }

    @Test
    void framesUpToFourTimesTheTargetSizeDecodeWhole() throws IOException {
        assertEquals(1, ImageReading.subsampling(32, 32, 32));
        assertEquals(1, ImageReading.subsampling(127, 4000, 32));
        assertEquals(2, ImageReading.subsampling(128, 128, 32));
        assertEquals(1, ImageReading.subsampling(30000, 30000, 0), "0: wanted whole");
        for (int side : new int[] {32, 100}) {
            CameraFrame f = SyntheticCamera.builder().imageSize(side).channels(3).build().frame(2);
            for (byte[] bytes : new byte[][] {f.encodePng(), f.encodeJpeg()}) {
                BufferedImage whole = ImageFrames.decode(bytes);
                ImageReading.Decoded forModel = ImageReading.read(bytes, DEFAULT, 32);
                assertEquals(1, forModel.period());
                assertEquals(side, forModel.image().getWidth());
                for (int channels : new int[] {1, 3}) {
                    assertArrayEquals(ImageFrames.normalise(whole, channels, 32), forModel.normalise(channels, 32));
                }
            }
        }
    }

    @Test
    void aFarLargerImageIsDecodedSubsampledAndConvertsCloseToTheWholeImage() throws IOException {
        int w = 1200;
        int h = 900;
        BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // smooth content: what a camera frame is at 1/30 of its resolution
                int r = (int) (255.0 * x / (w - 1));
                int g = (int) (127.5 + 127.5 * Math.sin(2 * Math.PI * y / h));
                int b = (int) (127.5 + 127.5 * Math.cos(2 * Math.PI * (x + y) / (w + h)));
                big.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        byte[] png = ImageEncoding.png(big);
        ImageReading.Decoded sub = ImageReading.read(png, DEFAULT, 32);
        assertEquals(14, sub.period());
        assertEquals(86, sub.image().getWidth(), "every 14th column from the 8th");
        assertEquals(64, sub.image().getHeight());
        float[] fromWhole = ImageFrames.normalise(ImageFrames.decode(png), 3, 32);
        float[] fromSub = sub.normalise(3, 32);
        double max = 0;
        for (int i = 0; i < fromWhole.length; i++) {
            max = Math.max(max, Math.abs(fromWhole[i] - fromSub[i]));
        }
        // one 8-bit level is 0.0078: the same points of the picture are sampled, from a coarser grid
        assertTrue(max < 0.01, "max difference " + max);
    }

    @Test
    void aHugeImageWithinARaisedBudgetIsDecodedSubsampledWithoutItsPixels() throws IOException {
        Path big = HostileImages.blackPng(dir.resolve("big.png"), 8000, 6000, false);
        BufferedImage img = ImageReading.read(big, ImageReading.PixelBudget.cli(100_000_000), 64).image();
        // 8000 x 6000 decoded whole would be 48 MB; every 46th pixel from the 24th is 174 x 130
        assertEquals(174, img.getWidth());
        assertEquals(130, img.getHeight());
        assertEquals(0, img.getRaster().getSample(100, 100, 0));
    }

    @Test
    void aBudgetMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReading.PixelBudget.cli(0));
        assertEquals("--max-pixels must be positive, got 0", e.getMessage());
    }

    private static String refusal(Path file) {
        return assertThrows(IOException.class, () -> ImageReading.read(file, DEFAULT, 32)).getMessage();
    }

    /** The data of a PNG's first IDAT chunk. */
    private static byte[] idat(byte[] png) {
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(8);
        while (true) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            if (new String(type, StandardCharsets.US_ASCII).equals("IDAT")) {
                byte[] data = new byte[length];
                b.get(data);
                return data;
            }
            b.position(b.position() + length + 4);
        }
    }
}
