"""Train a small CNN on CIFAR-10, then fit a scikit-learn probe on its features.

    python train_cifar.py --data ./data --epochs 30

This script is hyperlint's demo: it has one or more findings of every family.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

BATCH_SIZE = 128  # HL102: feeds DataLoader(batch_size=)


class Net(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.dropout = nn.Dropout(0.25)  # architecture: HL106, off by default
        self.fc = nn.Linear(64 * 8 * 8, num_classes)
        nn.init.kaiming_normal_(self.conv1.weight)  # initialisation: fine

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(self.dropout(torch.flatten(x, 1)))

    def features(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return torch.flatten(F.max_pool2d(F.relu(self.conv2(x)), 2), 1)


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        for p in model.parameters():
            p.data.clamp_(-1.0, 1.0)  # HL201: weights edited by hand through .data


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()  # configuration: changing it at setup is fine
    args.device = "cuda" if torch.cuda.is_available() else "cpu"

    tfm = transforms.Compose([transforms.ToTensor()])
    train_set = datasets.CIFAR10(args.data, train=True, download=True, transform=tfm)
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)

    model = Net().to(args.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)  # HL101: momentum
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer, args.device)
        if epoch in (10, 20):
            args.lr *= 0.1  # HL301: the config changes while training runs
            for group in optimizer.param_groups:
                group["lr"] = args.lr  # HL302: a hand-written LR schedule

    with torch.no_grad():
        feats, labels = [], []
        for images, targets in loader:
            feats.append(model.features(images.to(args.device)).cpu().numpy())
            labels.append(targets.numpy())
    probe = LogisticRegression(C=0.5, max_iter=200)  # HL101: C and max_iter
    probe.fit(np.concatenate(feats), np.concatenate(labels))
    probe.coef_[np.abs(probe.coef_) < 1e-3] = 0.0  # HL204: fitted weights edited by hand


if __name__ == "__main__":
    main()
