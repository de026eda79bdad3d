package io.latentwatch.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.data.ImageFolderDataset;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageFrames;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code latentwatch produce} sends from a folder whose images cannot all be read. */
class FrameProducerTest {

    @TempDir Path dir;

    /** Noise (so that half the file is pixel data), with {@code level} at (3, 3) to tell the images apart. */
    private static byte[] gray(int level) {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Random random = new java.util.Random(level);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        img.getRaster().setSample(3, 3, 0, level);
        return ImageEncoding.png(img);
    }

    /** A PNG whose header is whole and whose pixel data is cut: an image folder opens it, decoding it fails. */
    private static byte[] truncated() {
        byte[] png = gray(99);
        return Arrays.copyOf(png, png.length / 2);
    }

    @Test
    void anImageThatCannotBeReadIsToldOnceAndTheNextIsSentInItsPlace() throws Exception {
        Files.write(dir.resolve("a.png"), gray(10));
        Files.write(dir.resolve("b.png"), truncated());
        Files.write(dir.resolve("c.png"), gray(200));
        List<String> told = new ArrayList<>();
        FrameProducer.Frames frames = FrameProducer.dataset(ImageFolderDataset.open(dir), 2, "png", told::add);
        List<Integer> levels = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (long i = 0; i < 5; i++) {
            FrameProducer.Item item = frames.frame(i);
            levels.add(ImageFrames.decode(item.value()).getRaster().getSample(3, 3, 0));
            ids.add(item.frameId());
        }
        assertEquals(List.of(10, 200, 10, 200, 10), levels);
        assertEquals(List.of("cam-0-0", "cam-1-1", "cam-0-2", "cam-1-3", "cam-0-4"), ids);
        assertEquals(1, told.size(), told.toString());
        assertTrue(told.get(0).startsWith("b.png: undecodable image: "), told.get(0));
    }

    @Test
    void whenNoImageCanBeReadItSaysSo() throws Exception {
        Files.write(dir.resolve("b.png"), truncated());
        ImageFolderDataset data = ImageFolderDataset.open(dir);
        List<String> told = new ArrayList<>();
        FrameProducer.Frames frames = FrameProducer.dataset(data, 1, "png", told::add);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> frames.frame(0));
        assertEquals("no image of " + data.description() + " can be read", e.getMessage());
        assertEquals(1, told.size(), told.toString());
    }
}
