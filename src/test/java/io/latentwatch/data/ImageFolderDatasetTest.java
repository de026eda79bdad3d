package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir Path dir;

    @Test
    void readsPngJpegAndBmpRecursivelyAndSkipsUnreadableFilesWithTheirReasons() throws IOException {
        BufferedImage red = solid(32, 0xC81E1E);
        Files.write(dir.resolve("a.png"), ImageEncoding.png(red));
        Files.createDirectories(dir.resolve("good/deeper"));
        Files.write(dir.resolve("good/b.JPG"), ImageEncoding.jpeg(solid(32, 0x3060F0), 0.95f));
        Files.write(dir.resolve("good/deeper/c.bmp"), ImageEncoding.bmp(solid(32, 0x808080)));
        Files.write(dir.resolve("good/corrupt.png"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Files.write(dir.resolve("empty.jpeg"), new byte[0]);
        Files.writeString(dir.resolve("notes.txt"), "not an image, not counted");
        Files.createDirectories(dir.resolve(".thumbnails"));
        Files.write(dir.resolve(".thumbnails/x.png"), ImageEncoding.png(red));

        ImageFolderDataset ds = ImageFolderDataset.open(dir);

        assertEquals(3, ds.size());
        assertEquals(List.of("a.png", "good/b.JPG", "good/deeper/c.bmp"), List.of(ds.name(0), ds.name(1), ds.name(2)));
        assertEquals(List.of("", "good", "good/deeper"), List.of(ds.label(0), ds.label(1), ds.label(2)));
        assertEquals(3, ds.channels());
        assertEquals(32, ds.imageSize());
        assertEquals(2, ds.skipped().size());
        assertEquals(dir.resolve("empty.jpeg"), ds.skipped().get(0).file());
        assertEquals("empty image (0 bytes)", ds.skipped().get(0).reason());
        assertEquals(dir.resolve("good/corrupt.png"), ds.skipped().get(1).file());
        assertTrue(ds.skipped().get(1).reason().startsWith("not an image"), ds.skipped().get(1).reason());
        assertTrue(ds.description().endsWith("3 colour 32x32 images, 2 unreadable file(s) skipped"), ds.description());

        // PNG is exact: 200 → 200 / 255 × 2 − 1
        float[] x = ds.normalise(0, 3, 16);
        assertEquals(3 * 16 * 16, x.length);
        assertEquals(200f / 255 * 2 - 1, x[0], 1e-6);
        assertEquals(30f / 255 * 2 - 1, x[16 * 16], 1e-6);
        assertEquals(30f / 255 * 2 - 1, x[2 * 16 * 16], 1e-6);
        // JPEG is close; gray BMP averaged to one channel
        float[] blue = ds.normalise(1, 3, 32);
        assertEquals(0xF0 / 255f * 2 - 1, blue[2 * 32 * 32 + 100], 0.05);
        assertEquals(128f / 255 * 2 - 1, ds.normalise(2, 1, 32)[5], 1e-6);

        float[] into = new float[2 + 3 * 16 * 16];
        ds.normalise(0, 3, 16, into, 2);
        assertArrayEquals(x, java.util.Arrays.copyOfRange(into, 2, into.length));
    }

    @Test
    void grayFolderOfMixedSizes() throws IOException {
        BufferedImage g1 = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage g2 = new BufferedImage(30, 20, BufferedImage.TYPE_BYTE_GRAY);
        Files.write(dir.resolve("1.png"), ImageEncoding.png(g1));
        Files.write(dir.resolve("2.png"), ImageEncoding.png(g2));
        ImageFolderDataset ds = ImageFolderDataset.open(dir);
        assertEquals(1, ds.channels());
        assertEquals(0, ds.imageSize());
        assertEquals(3 * 8 * 8, ds.normalise(1, 3, 8).length);
        assertTrue(ds.skipped().isEmpty());
    }

    @Test
    void emptyFolderIsRefusedInOneClearLine() throws IOException {
        Files.writeString(dir.resolve("readme.txt"), "no images here");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(dir));
        assertEquals("no images (.png, .jpg, .jpeg, .bmp) in folder " + dir, e.getMessage());
    }

    @Test
    void folderOfOnlyUnreadableFilesSaysWhy() throws IOException {
        Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(dir));
        assertTrue(e.getMessage().startsWith("no readable images in folder " + dir + ": 1 file(s) skipped, the first "
                + dir.resolve("broken.png") + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingFolderAndFileAreRefused() throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.open(dir.resolve("nope")));
        assertEquals("no such image folder: " + dir.resolve("nope"), missing.getMessage());
        Path file = Files.write(dir.resolve("x.png"), ImageEncoding.png(solid(4, 0)));
        IllegalArgumentException notDir = assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(file));
        assertTrue(notDir.getMessage().startsWith("not a folder: " + file), notDir.getMessage());
    }

    @Test
    void sliceIsAViewOfARange() throws IOException {
        for (int i = 0; i < 5; i++) {
            Files.write(dir.resolve("f" + i + ".png"), ImageEncoding.png(solid(8, i * 40)));
        }
        ImageFolderDataset ds = ImageFolderDataset.open(dir);
        ImageDataset tail = ds.slice(3, 5);
        assertEquals(2, tail.size());
        assertEquals("f3.png", tail.name(0));
        assertArrayEquals(ds.normalise(4, 1, 8), tail.normalise(1, 1, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> tail.name(2));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.slice(4, 6));
        assertArrayEquals(ImageFrames.normalise(ds.image(0), 3, 8), ds.normalise(0, 3, 8));
    }

    @Test
    void filesAreJudgedFromTheirHeadersAndHostileOnesSkippedWithTheirReasons() throws IOException {
        Files.write(dir.resolve("a.png"), ImageEncoding.png(solid(32, 0x808080)));
        HostileImages.blackPng(dir.resolve("bomb-gray.png"), 30000, 30000, false);
        HostileImages.blackPng(dir.resolve("bomb-rgb.png"), 30000, 30000, true);
        HostileImages.gif(dir.resolve("gif-named.png"));
        HostileImages.tiff(dir.resolve("tiff-named.bmp"));
        byte[] png = ImageEncoding.png(solid(32, 0x3060F0));
        // a whole header and half the pixel data: opening reads headers only, so it is found out when decoded
        Files.write(dir.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 2));

        ImageFolderDataset ds = ImageFolderDataset.open(dir);

        assertEquals(List.of("a.png", "truncated.png"), List.of(ds.name(0), ds.name(1)));
        assertEquals(32, ds.imageSize());
        assertEquals(3, ds.channels());
        assertEquals(List.of(
                dir.resolve("bomb-gray.png") + ": image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (--max-pixels)",
                dir.resolve("bomb-rgb.png") + ": image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (--max-pixels)",
                dir.resolve("gif-named.png") + ": not a PNG, JPEG or BMP image (GIF)",
                dir.resolve("tiff-named.bmp") + ": not a PNG, JPEG or BMP image (TIF)"),
                ds.skipped().stream().map(Object::toString).toList());
        assertEquals(128f / 255 * 2 - 1, ds.normalise(0, 1, 32)[7], 1e-6);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ds.normalise(1, 3, 32));
        assertTrue(e.getMessage().startsWith("undecodable image: "), e.getMessage());
    }

    @Test
    void theBudgetIsTheCallersAndAHugeImageWithinItIsConvertedFromASubsampledDecode() throws IOException {
        Files.write(dir.resolve("small.png"), ImageEncoding.png(solid(32, 0x808080)));
        HostileImages.blackPng(dir.resolve("big.png"), 8000, 8000, false);
        Files.write(dir.resolve("tiny.png"), ImageEncoding.png(solid(30, 0x808080)));
        ImageFolderDataset tight = ImageFolderDataset.open(dir, ImageReading.PixelBudget.cli(1000));
        assertEquals(List.of(dir.resolve("big.png") + ": image too large: 8000x8000 pixels (64000000), the limit is 1000 pixels (--max-pixels)",
                dir.resolve("small.png") + ": image too large: 32x32 pixels (1024), the limit is 1000 pixels (--max-pixels)"),
                tight.skipped().stream().map(Object::toString).toList());
        assertEquals(List.of("tiny.png"), List.of(tight.name(0)));
        ImageFolderDataset roomy = ImageFolderDataset.open(dir, ImageReading.PixelBudget.cli(100_000_000));
        assertEquals(3, roomy.size());
        assertEquals("big.png", roomy.name(0));
        assertEquals(3, roomy.channels(), "the small ones are colour");
        assertEquals(0, roomy.imageSize(), "mixed sizes, learnt from the headers");
        // 64 MB of pixels whole; every 125th of them for a 32 x 32 model input
        float[] black = roomy.normalise(0, 1, 32);
        for (float v : black) {
            assertEquals(-1f, v);
        }
    }

    private static BufferedImage solid(int size, int rgb) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }
}
